// Rules across replications: unique names, one writer per destination topic, no endless loops.
// They only look at replications that are otherwise free of errors.
//
// What can be decided before any topic is listed, and what is left to the daemon:
// - Destination collisions. Each (replication, destination) pair names topics through a template with
//   only {topic} left (identity "{topic}", prefix "london.{topic}", see naming.ts). Two pairs writing to
//   the same cluster collide for certain when a LITERAL include of one produces a name that the other
//   also produces from a topic it selects, or when both name topics the same way and share an identical
//   include pattern. Overlaps between different globs or regular expressions depend on which topics
//   exist: the daemon checks the flows it plans against each other and refuses a second writer at run
//   time.
// - Loops. Replications form a graph of clusters; every simple cycle of it is checked. A cycle is safe
//   when (a) every replication on it uses prefix naming (a name carries its path, and the daemon never
//   sends a topic to a cluster its name came through), or (b) every one uses identity naming with
//   `loopPrevention: header` (records carry their first origin and are dropped before re-entering it),
//   or (c) no topic can travel all the way round: checked exactly by following the literal topic names
//   of a replication whose includes are all literal, or, for identity naming, because two replications
//   of the cycle select provably disjoint names. Every other cycle is an error.
import type { IndexedReplication, IssueCollector } from './compile.js';
import { originTopicFor, resolvedTemplate } from './naming.js';
import { isNeverMirrored, matchesPattern, selectsName } from './patterns.js';
import type { DaemonSettings, NamePattern, NameSelector, ReplicationConfig } from './types.js';

/** One (replication, destination) pair: the unit both rules reason about. */
interface Edge {
  readonly index: number;
  readonly destinationIndex: number;
  readonly replication: ReplicationConfig;
  readonly origin: string;
  readonly destination: string;
  /** The naming of this pair with only {topic} left. */
  readonly template: string;
}

function edgesOf(replications: readonly IndexedReplication[]): Edge[] {
  return replications.flatMap(({ index, replication }) =>
    replication.destinations.map((destination, destinationIndex) => ({
      index,
      destinationIndex,
      replication,
      origin: replication.origin,
      destination,
      template: resolvedTemplate(replication.naming, { origin: replication.origin, destination }),
    })),
  );
}

function describe(edge: Edge): string {
  return `"${edge.replication.name}" (line ${edge.replication.position.line})`;
}

export function checkUniqueNames(
  replications: readonly IndexedReplication[],
  collector: IssueCollector,
): void {
  const firstByName = new Map<string, IndexedReplication>();
  for (const entry of replications) {
    const first = firstByName.get(entry.replication.name);
    if (first === undefined) {
      firstByName.set(entry.replication.name, entry);
      continue;
    }
    collector.error(
      'DUPLICATE_REPLICATION_NAME',
      ['replications', entry.index, 'name'],
      'key',
      `${entry.nameGiven ? 'name' : 'derived name'} "${entry.replication.name}" is already used by replications[${first.index}] (line ${first.replication.position.line}); give each replication its own "name"`,
    );
  }
}

function selectsTopic(selector: NameSelector, topic: string, daemon: DaemonSettings): boolean {
  return !isNeverMirrored(topic, daemon) && selectsName(selector, topic);
}

function literals(selector: NameSelector): string[] {
  return selector.include.flatMap((pattern) => (pattern.kind === 'literal' ? [pattern.source] : []));
}

function samePattern(a: NamePattern, b: NamePattern): boolean {
  return (
    a.kind === b.kind &&
    a.source === b.source &&
    (a.kind !== 'regex' || (b.kind === 'regex' && a.flags === b.flags))
  );
}

/** A destination topic both pairs certainly write, described for a message, or null. */
function certainCollision(a: Edge, b: Edge, daemon: DaemonSettings): string | null {
  for (const [one, other] of [
    [a, b],
    [b, a],
  ] as const) {
    for (const topic of literals(one.replication.topics)) {
      if (!selectsTopic(one.replication.topics, topic, daemon)) continue;
      const written = one.template.replaceAll('{topic}', topic);
      const otherTopic = originTopicFor(other.template, written);
      if (otherTopic !== null && selectsTopic(other.replication.topics, otherTopic, daemon))
        return `topic "${written}"`;
    }
  }
  if (a.template === b.template) {
    for (const pattern of a.replication.topics.include) {
      if (
        pattern.kind !== 'literal' &&
        b.replication.topics.include.some((other) => samePattern(pattern, other))
      ) {
        const written = a.template.replaceAll(
          '{topic}',
          pattern.kind === 'regex' ? `/${pattern.source}/${pattern.flags}` : pattern.source,
        );
        return `the topics "${written}"`;
      }
    }
  }
  return null;
}

export function checkDestinationCollisions(
  replications: readonly IndexedReplication[],
  daemon: DaemonSettings,
  collector: IssueCollector,
): void {
  const edges = edgesOf(replications);
  for (const [laterIndex, later] of edges.entries()) {
    for (const earlier of edges.slice(0, laterIndex)) {
      if (earlier.destination !== later.destination || earlier.index === later.index) continue;
      const collision = certainCollision(earlier, later, daemon);
      if (collision === null) continue;
      collector.error(
        'DESTINATION_COLLISION',
        ['replications', later.index, 'destinations', later.destinationIndex],
        'value',
        `${collision} on cluster "${later.destination}" would be written by replication ${describe(later)} and by replication ${describe(earlier)}; a destination topic can have only one writer`,
      );
    }
  }
}

// ---- loops ------------------------------------------------------------------------------------------

/** Enough for any real topology; past it, further cycles go unchecked rather than stall the loader. */
const MAX_CYCLES = 10_000;

/** Every simple cycle of the graph, as edges; each found once, from its smallest cluster name. */
function simpleCycles(edges: readonly Edge[]): Edge[][] {
  const nodes = [...new Set(edges.flatMap((edge) => [edge.origin, edge.destination]))].sort();
  const rank = new Map(nodes.map((node, position) => [node, position]));
  const outgoing = new Map<string, Edge[]>();
  for (const edge of edges) outgoing.set(edge.origin, [...(outgoing.get(edge.origin) ?? []), edge]);
  const cycles: Edge[][] = [];
  for (const start of nodes) {
    const startRank = rank.get(start)!;
    const onPath = new Set<string>([start]);
    const walk = (node: string, path: Edge[]): void => {
      for (const edge of outgoing.get(node) ?? []) {
        if (cycles.length >= MAX_CYCLES) return;
        if (edge.destination === start) cycles.push([...path, edge]);
        else if (rank.get(edge.destination)! > startRank && !onPath.has(edge.destination)) {
          onPath.add(edge.destination);
          walk(edge.destination, [...path, edge]);
          onPath.delete(edge.destination);
        }
      }
    };
    walk(start, []);
  }
  return cycles;
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
  const reported = new Set<string>();
  for (const cycle of simpleCycles(edgesOf(replications))) {
    const verdict = judgeCycle(cycle, daemon);
    if (verdict.safe) continue;
    const route = [...cycle.map((edge) => edge.origin), cycle[0]!.origin].join(' → ');
    const members = [...new Map(cycle.map((edge) => [edge.index, edge])).values()];
    const key = `${route}|${members.map((edge) => edge.index).join(',')}`;
    if (reported.has(key)) continue;
    reported.add(key);
    const last = members.reduce((latest, edge) => (edge.index > latest.index ? edge : latest));
    const what = verdict.topic === null ? 'records' : `topic "${verdict.topic}"`;
    collector.error(
      'REPLICATION_LOOP',
      ['replications', last.index],
      'key',
      `replications ${listed(members.map(describe))} form the loop ${route}: ${what} would be mirrored round it forever; use prefix naming, or identity naming with loopPrevention: header on every replication of the loop`,
    );
  }
}
