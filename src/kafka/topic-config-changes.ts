// What "replace a topic's configs" means as an incremental change: the desired map becomes the topic's
// complete set of topic-level configs. Pure, so an adapter with IncrementalAlterConfigs can replace without
// AlterConfigs (deprecated in Kafka, and racing with anyone else's change to keys it does not touch).
import type { TopicConfigChanges, TopicConfigEntry } from './port.js';

/**
 * The changes that turn the topic's configs `current` (as described, every source) into exactly `desired` as
 * its topic-level configs: set each desired key the topic does not already hold with that value on itself
 * (a value equal to the broker default is still pinned on the topic, as a replace would), and remove every
 * topic-level key not desired. A sensitive value (hidden, null) cannot be compared, so it is always set.
 */
export function changesToReplace(
  current: readonly TopicConfigEntry[],
  desired: ReadonlyMap<string, string>,
): TopicConfigChanges {
  const onTopic = new Map(
    current.filter((entry) => entry.source === 'topic').map((entry) => [entry.name, entry.value]),
  );
  const set = new Map([...desired].filter(([name, value]) => onTopic.get(name) !== value));
  const remove = [...onTopic.keys()].filter((name) => !desired.has(name));
  return { set, remove };
}
