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
import { isNeverMirrored, selectsName } from './patterns.js';
import type { DaemonSettings, NamePattern, NameSelector, ReplicationConfig } from './types.js';

/** One (replication, destination) pair: the unit both rules reason about. */
export interface Edge {
  readonly index: number;
  readonly destinationIndex: number;
  readonly replication: ReplicationConfig;
  readonly origin: string;
  readonly destination: string;
  /** The naming of this pair with only {topic} left. */
  readonly template: string;
}

export function edgesOf(replications: readonly IndexedReplication[]): Edge[] {
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

export function describe(edge: Edge): string {
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

export function selectsTopic(selector: NameSelector, topic: string, daemon: DaemonSettings): boolean {
  return !isNeverMirrored(topic, daemon) && selectsName(selector, topic);
}

export function literals(selector: NameSelector): string[] {
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

/** Non-literal patterns of one naming, indexed so that the ones that may match a name are found fast. */
class PatternIndex {
  private readonly byLiteral = new Map<string, Edge[]>();
  /**
   * Globs and regular expressions by the text every name they match starts with: only those whose head
   * starts a name can match it.
   */
  private readonly byHead = new Map<string, Edge[]>();

  add(edge: Edge): void {
    for (const pattern of edge.replication.topics.include) {
      if (pattern.kind === 'literal') append(this.byLiteral, pattern.source, edge);
      else append(this.byHead, patternHead(pattern), edge);
    }
  }

  /** The edges that may select `topic` (a superset: callers check with selectsTopic). */
  candidates(topic: string): Set<Edge> {
    const found = new Set<Edge>(this.byLiteral.get(topic));
    for (let length = 0; length <= topic.length; length++) {
      for (const edge of this.byHead.get(topic.slice(0, length)) ?? []) found.add(edge);
    }
    return found;
  }
}

/**
 * Text that every name a glob or regular expression matches starts with: a glob's text before its first
 * wildcard; a regular expression's leading plain characters (none when it has an alternative `|`, or
 * ignores case).
 */
function patternHead(pattern: Exclude<NamePattern, { kind: 'literal' }>): string {
  if (pattern.kind === 'glob') return pattern.source.split(/[*?]/)[0]!;
  if (pattern.flags !== '' || pattern.source.includes('|')) return '';
  const leading = /^\^?((?:[A-Za-z0-9_-]|\\\.)*)(.?)/.exec(pattern.source)!;
  const head = leading[1]!.replaceAll('\\.', '.');
  // A quantifier after the last character makes that character optional or repeated.
  return /^[?*{]$/.test(leading[2]!) ? head.slice(0, -1) : head;
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** The text of a template before its first {topic}: a destination name must start with it. */
function templateHead(template: string): string {
  return template.slice(0, Math.max(0, template.indexOf('{topic}')));
}

/**
 * For every edge, the earliest earlier edge (to the same cluster, of another replication) that certainly
 * writes a topic it writes too. Found through indexes rather than by comparing every pair, so that
 * thousands of replications into one cluster are checked in about linear time.
 */
function earliestCollisions(edges: readonly Edge[], daemon: DaemonSettings): Map<Edge, Edge> {
  const order = new Map(edges.map((edge, position) => [edge, position]));
  const earliest = new Map<Edge, Edge>();
  const consider = (a: Edge, b: Edge): void => {
    if (a === b || a.index === b.index) return;
    const [earlier, later] = order.get(a)! < order.get(b)! ? [a, b] : [b, a];
    const known = earliest.get(later);
    if (known === undefined || order.get(earlier)! < order.get(known)!) earliest.set(later, earlier);
  };
  const byDestination = new Map<string, Edge[]>();
  for (const edge of edges) append(byDestination, edge.destination, edge);
  for (const group of byDestination.values()) {
    // Both name topics the same way and share an identical glob or regular expression.
    const firstWithPattern = new Map<string, Edge>();
    // Every naming of the group, by the text its names start with, with the patterns of its edges.
    const namings = new Map<string, PatternIndex>();
    const namingsByHead = new Map<string, string[]>();
    for (const edge of group) {
      for (const pattern of edge.replication.topics.include) {
        if (pattern.kind === 'literal') continue;
        const key = `${edge.template}\n${pattern.kind}\n${pattern.source}\n${pattern.kind === 'regex' ? pattern.flags : ''}`;
        const first = firstWithPattern.get(key);
        if (first === undefined) firstWithPattern.set(key, edge);
        else consider(first, edge);
      }
      let index = namings.get(edge.template);
      if (index === undefined) {
        index = new PatternIndex();
        namings.set(edge.template, index);
        append(namingsByHead, templateHead(edge.template), edge.template);
      }
      index.add(edge);
    }
    // A literal include of one edge writes a name that another edge also writes from a topic it selects.
    for (const edge of group) {
      for (const topic of literals(edge.replication.topics)) {
        if (!selectsTopic(edge.replication.topics, topic, daemon)) continue;
        const written = edge.template.replaceAll('{topic}', topic);
        for (let length = 0; length <= written.length; length++) {
          for (const template of namingsByHead.get(written.slice(0, length)) ?? []) {
            const otherTopic = originTopicFor(template, written);
            if (otherTopic === null) continue;
            for (const other of namings.get(template)!.candidates(otherTopic)) {
              if (selectsTopic(other.replication.topics, otherTopic, daemon)) consider(edge, other);
            }
          }
        }
      }
    }
  }
  return earliest;
}

export function checkDestinationCollisions(
  replications: readonly IndexedReplication[],
  daemon: DaemonSettings,
  collector: IssueCollector,
): void {
  const edges = edgesOf(replications);
  const earliest = earliestCollisions(edges, daemon);
  for (const later of edges) {
    const earlier = earliest.get(later);
    if (earlier === undefined) continue;
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
