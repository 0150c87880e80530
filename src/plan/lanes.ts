// Lanes and slots (docs/design-shared-transport.md): which consumer group on the origin holds a flow's progress
// when flows share their transport, and which slot of that group a partition belongs to. Pure; the same in
// every process that reads the same file, which is what lets several processes split a lane without talking.
import { createHash } from 'node:crypto';
import { type FlowEnds, resolvedTemplate } from '../config/naming.js';
import type { NamingPolicy } from '../config/types.js';

/**
 * Slots of one lane. Fixed forever: changing it moves every partition to another slot, so every process of a
 * lane must agree on it. 256 splits evenly between up to a few dozen processes, and a bitmap of it fits in a
 * JoinGroup's metadata in 32 bytes.
 */
export const SLOT_COUNT = 256;

/** 32-bit FNV-1a of the name's UTF-8 bytes: tiny, stable across languages and versions, spreads short names well. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The slot of partition `partition` of `topic`: `(fnv1a(topic) + partition) mod 256`. Consecutive partitions
 * of a topic fall in consecutive slots, which the assignment deals out in turn, so a topic's partitions spread
 * over the processes of the lane.
 */
export function slotOf(topic: string, partition: number): number {
  return (fnv1a32(topic) + partition) % SLOT_COUNT;
}

/**
 * Every flow of one origin cluster into one destination cluster whose destination topics are named the same
 * way. Within a lane an origin topic has at most one flow (two would write one destination topic, which the
 * loader refuses), so the lane group's offsets, keyed by origin topic and partition, are its flows' progress.
 */
export interface Lane {
  readonly origin: string;
  readonly destination: string;
  /**
   * How the lane's destination topics are named: `identity`, `prefix` (`<origin>.<topic>`), or `t-<hash>` of
   * the naming template with only {topic} left (a prefix with another separator is such a template). Taken
   * from what the naming does, not from how the file spells it: two spellings that name topics alike are one
   * lane, and a renamed replication keeps its lane.
   */
  readonly naming: string;
}

export function laneOf(naming: NamingPolicy, ends: FlowEnds): Lane {
  const template = resolvedTemplate(naming, ends);
  return { origin: ends.origin, destination: ends.destination, naming: namingTag(template, ends.origin) };
}

/** `london -> frankfurt (prefix)`: how logs and status name a lane. */
export function laneKey(lane: Lane): string {
  return `${lane.origin} -> ${lane.destination} (${lane.naming})`;
}

/**
 * The lane's consumer group on the origin: `<groupIdPrefix>.<origin>.<destination>.<naming>`. Cluster names
 * have no dots, and a naming tag has none either, so the id has exactly three parts after the prefix, while a
 * per-flow group id (`<prefix>.<origin>.<destination>.<topic>.<destination topic>`) has at least four: the two
 * kinds never collide under one prefix.
 */
export function laneGroupId(groupIdPrefix: string, lane: Lane): string {
  return `${groupIdPrefix}.${lane.origin}.${lane.destination}.${lane.naming}`;
}

function namingTag(template: string, origin: string): string {
  if (template === '{topic}') return 'identity';
  if (template === `${origin}.{topic}`) return 'prefix';
  return `t-${createHash('sha256').update(template).digest('hex').slice(0, 12)}`;
}
