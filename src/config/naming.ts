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
  const parts = template.split('{topic}');
  const escaped = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`^${escaped.join('(.+)')}$`, 's');
  const match = pattern.exec(destinationTopic);
  if (!match) return null;
  const candidate = match[1] ?? '';
  return destinationTopicName({ kind: 'template', template }, { origin: '', destination: '' }, candidate) ===
    destinationTopic
    ? candidate
    : null;
}
