// Replication loops: records mirrored round a cycle of clusters forever. Replications form a graph of
// clusters (one edge per replication and destination); every simple cycle of it is judged by the rules in
// topology.ts's header: safe when all prefix-named, all identity-named with `loopPrevention: header`, or
// when no topic can travel all the way round.
//
// The number of simple cycles can grow exponentially with the clusters (a chain where each cluster
// mirrors to the next two has Fibonacci-many paths), so cycles are not searched naively:
// - strongly connected components (Tarjan, linear) hold every cycle; a component whose edges are all
//   prefix-named, or all identity-named with the header, holds only safe cycles and is skipped whole;
// - in the other components, Johnson's algorithm lists the simple cycles in time linear in the graph per
//   cycle, up to MAX_CYCLES of them per component. A component with more is refused: georep cannot show
//   it is safe, and a loop copies records without end.
import type { IndexedReplication, IssueCollector } from './compile.js';
import { matchesPattern } from './patterns.js';
import { describe, type Edge, edgesOf, literals, selectsTopic } from './topology.js';
import type { DaemonSettings, NamePattern, NameSelector } from './types.js';

/** Cycles judged per component; far more than a real topology has. */
const MAX_CYCLES = 10_000;

/** Loops reported per component: enough to show the pattern without flooding the output. */
const MAX_REPORTED = 10;

function byOrigin(edges: readonly Edge[]): Map<string, Edge[]> {
  const outgoing = new Map<string, Edge[]>();
  for (const edge of edges) {
    const list = outgoing.get(edge.origin) ?? [];
    list.push(edge);
    outgoing.set(edge.origin, list);
  }
  return outgoing;
}

/** Strongly connected components with at least one edge inside, as their edges (iterative Tarjan). */
function components(edges: readonly Edge[]): Edge[][] {
  const outgoing = byOrigin(edges);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const componentOf = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  let next = 0;
  let count = 0;
  const nodes = [...new Set(edges.flatMap((edge) => [edge.origin, edge.destination]))].sort();
  for (const root of nodes) {
    if (index.has(root)) continue;
    const frames: { node: string; position: number }[] = [{ node: root, position: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const out = outgoing.get(frame.node) ?? [];
      if (frame.position < out.length) {
        const target = out[frame.position++]!.destination;
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          frames.push({ node: target, position: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      for (;;) {
        const member = stack.pop()!;
        onStack.delete(member);
        componentOf.set(member, count);
        if (member === frame.node) break;
      }
      count++;
    }
  }
  const inside: Edge[][] = Array.from({ length: count }, () => []);
  for (const edge of edges) {
    const component = componentOf.get(edge.origin)!;
    if (component === componentOf.get(edge.destination)) inside[component]!.push(edge);
  }
  return inside.filter((component) => component.length > 0);
}

function onlySafeCycles(component: readonly Edge[]): boolean {
  return (
    component.every((edge) => edge.replication.naming.kind === 'prefix') ||
    component.every((edge) => edge.template === '{topic}' && edge.replication.loopPrevention === 'header')
  );
}

/**
 * Calls `visit` with every simple cycle of a strongly connected component, each once, until it returns
 * false (Johnson's algorithm, iterative). Returns false when stopped early.
 */
function eachCycle(component: readonly Edge[], visit: (cycle: readonly Edge[]) => boolean): boolean {
  const outgoing = byOrigin(component);
  const nodes = [...outgoing.keys()].sort();
  const rank = new Map(nodes.map((node, position) => [node, position]));
  for (const start of nodes) {
    const startRank = rank.get(start)!;
    const blocked = new Set<string>([start]);
    const blockedBy = new Map<string, Set<string>>();
    const unblock = (node: string): void => {
      const pending = [node];
      while (pending.length > 0) {
        const current = pending.pop()!;
        blocked.delete(current);
        const waiting = blockedBy.get(current);
        if (waiting === undefined) continue;
        blockedBy.delete(current);
        for (const other of waiting) if (blocked.has(other)) pending.push(other);
      }
    };
    const path: Edge[] = [];
    const frames: { node: string; position: number; closed: boolean }[] = [
      { node: start, position: 0, closed: false },
    ];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const out = outgoing.get(frame.node)!;
      if (frame.position < out.length) {
        const edge = out[frame.position++]!;
        if (rank.get(edge.destination)! < startRank) continue;
        if (edge.destination === start) {
          frame.closed = true;
          if (!visit([...path, edge])) return false;
        } else if (!blocked.has(edge.destination)) {
          path.push(edge);
          blocked.add(edge.destination);
          frames.push({ node: edge.destination, position: 0, closed: false });
        }
        continue;
      }
      frames.pop();
      if (frame.closed) {
        unblock(frame.node);
      } else {
        for (const edge of out) {
          if (rank.get(edge.destination)! < startRank) continue;
          const waiting = blockedBy.get(edge.destination) ?? new Set<string>();
          waiting.add(frame.node);
          blockedBy.set(edge.destination, waiting);
        }
      }
      const parent = frames[frames.length - 1];
      if (parent !== undefined) {
        parent.closed ||= frame.closed;
        path.pop();
      }
    }
  }
  return true;
}

/** The fixed text before the first and after the last wildcard of a literal or glob. */
function fixedEnds(pattern: NamePattern): { head: string; tail: string } | null {
  if (pattern.kind === 'regex') return null;
  const first = pattern.source.search(/[*?]/);
  if (first === -1) return { head: pattern.source, tail: pattern.source };
  const lastWildcard = Math.max(pattern.source.lastIndexOf('*'), pattern.source.lastIndexOf('?'));
  return { head: pattern.source.slice(0, first), tail: pattern.source.slice(lastWildcard + 1) };
}

/** True only when no name can match both patterns. */
function provablyDisjoint(a: NamePattern, b: NamePattern): boolean {
  if (a.kind === 'literal') return !matchesPattern(b, a.source);
  if (b.kind === 'literal') return !matchesPattern(a, b.source);
  const endsA = fixedEnds(a);
  const endsB = fixedEnds(b);
  if (endsA === null || endsB === null) return false;
  const headsConflict = !endsA.head.startsWith(endsB.head) && !endsB.head.startsWith(endsA.head);
  const tailsConflict = !endsA.tail.endsWith(endsB.tail) && !endsB.tail.endsWith(endsA.tail);
  return headsConflict || tailsConflict;
}

function selectorsDisjoint(a: NameSelector, b: NameSelector): boolean {
  return a.include.every((one) => b.include.every((other) => provablyDisjoint(one, other)));
}

/**
 * Follows the literal topics of `cycle[0]` around the cycle until none is left (no loop: null) or a set
 * of names comes back that was seen before (a loop: one of the names).
 */
function followLiterals(cycle: readonly Edge[], daemon: DaemonSettings): string | null {
  const seen = new Set<string>();
  let names = literals(cycle[0]!.replication.topics);
  for (;;) {
    const key = [...names].sort().join('\n');
    if (names.length === 0) return null;
    if (seen.has(key)) return names[0]!;
    seen.add(key);
    for (const edge of cycle) {
      names = names
        .filter((name) => selectsTopic(edge.replication.topics, name, daemon))
        .map((name) => edge.template.replaceAll('{topic}', name));
    }
  }
}

type LoopVerdict = { readonly safe: true } | { readonly safe: false; readonly topic: string | null };

function judgeCycle(cycle: readonly Edge[], daemon: DaemonSettings): LoopVerdict {
  if (cycle.every((edge) => edge.replication.naming.kind === 'prefix')) return { safe: true };
  const identity = cycle.every((edge) => edge.template === '{topic}');
  if (identity && cycle.every((edge) => edge.replication.loopPrevention === 'header')) return { safe: true };
  for (const [offset, edge] of cycle.entries()) {
    if (!edge.replication.topics.include.every((pattern) => pattern.kind === 'literal')) continue;
    const rotated = [...cycle.slice(offset), ...cycle.slice(0, offset)];
    const topic = followLiterals(rotated, daemon);
    return topic === null ? { safe: true } : { safe: false, topic };
  }
  if (identity) {
    for (const [position, one] of cycle.entries()) {
      if (
        cycle
          .slice(position + 1)
          .some((other) => selectorsDisjoint(one.replication.topics, other.replication.topics))
      ) {
        return { safe: true };
      }
    }
  }
  return { safe: false, topic: null };
}

/** `a and b`, `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length <= 1
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function checkLoops(
  replications: readonly IndexedReplication[],
  daemon: DaemonSettings,
  collector: IssueCollector,
): void {
  for (const component of components(edgesOf(replications))) {
    if (onlySafeCycles(component)) continue;
    const reported = new Set<string>();
    let judged = 0;
    const finished = eachCycle(component, (cycle) => {
      if (++judged > MAX_CYCLES) return false;
      const verdict = judgeCycle(cycle, daemon);
      if (verdict.safe) return true;
      const route = [...cycle.map((edge) => edge.origin), cycle[0]!.origin].join(' → ');
      const members = [...new Map(cycle.map((edge) => [edge.index, edge])).values()];
      const key = `${route}|${members.map((edge) => edge.index).join(',')}`;
      if (reported.has(key)) return true;
      reported.add(key);
      const last = members.reduce((latest, edge) => (edge.index > latest.index ? edge : latest));
      const what = verdict.topic === null ? 'records' : `topic "${verdict.topic}"`;
      collector.error(
        'REPLICATION_LOOP',
        ['replications', last.index],
        'key',
        `replications ${listed(members.map(describe))} form the loop ${route}: ${what} would be mirrored round it forever; use prefix naming, or identity naming with loopPrevention: header on every replication of the loop`,
      );
      return reported.size < MAX_REPORTED;
    });
    if (finished || reported.size > 0) continue;
    const members = [...new Map(component.map((edge) => [edge.index, edge])).values()];
    const last = members.reduce((latest, edge) => (edge.index > latest.index ? edge : latest));
    collector.error(
      'REPLICATION_LOOP',
      ['replications', last.index],
      'key',
      `the ${members.length} replications between clusters ${listed([...new Set(component.map((edge) => edge.origin))].sort())} form more than ${MAX_CYCLES.toLocaleString('en')} loops, too many to show that none mirrors records round forever; use prefix naming, or identity naming with loopPrevention: header on every replication among them`,
    );
  }
}
