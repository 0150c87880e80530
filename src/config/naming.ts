// How an origin topic's name becomes the destination topic's name. Pure; used by the planner (to name
// destination topics) and by the loader's collision and loop checks.
import type { NamingPolicy } from './types.js';

export const PLACEHOLDERS = ['topic', 'origin', 'destination'] as const;

export interface FlowEnds {
  readonly origin: string;
  readonly destination: string;
}

/**
 * The naming policy of one (origin, destination) pair as a template whose only placeholder left is
 * {topic}: identity is "{topic}", prefix is "london.{topic}". Two pairs name topics the same way
 * exactly when these strings are equal.
 */
export function resolvedTemplate(naming: NamingPolicy, ends: FlowEnds): string {
  switch (naming.kind) {
    case 'identity':
      return '{topic}';
    case 'prefix':
      return `${ends.origin}${naming.separator}{topic}`;
    case 'template':
      return naming.template
        .replaceAll('{origin}', ends.origin)
        .replaceAll('{destination}', ends.destination);
  }
}

/** The destination topic's name for an origin topic. */
export function destinationTopicName(naming: NamingPolicy, ends: FlowEnds, topic: string): string {
  return resolvedTemplate(naming, ends).replaceAll('{topic}', topic);
}

/**
 * The origin topic names that a resolved template turns into `destinationTopic` (none or one, since
 * every {topic} in a template is the same name).
 */
export function originTopicFor(template: string, destinationTopic: string): string | null {
  // Without a regular expression: with several {topic}, one would backtrack over every way to split the
  // name. The fixed parts fix the topic's length, and the first {topic} its place.
  const parts = template.split('{topic}');
  const occurrences = parts.length - 1;
  if (occurrences === 0) return null;
  const fixedLength = parts.reduce((sum, part) => sum + part.length, 0);
  const topicLength = (destinationTopic.length - fixedLength) / occurrences;
  if (!Number.isInteger(topicLength) || topicLength < 1) return null;
  const candidate = destinationTopic.slice(parts[0]!.length, parts[0]!.length + topicLength);
  return parts.join(candidate) === destinationTopic ? candidate : null;
}
