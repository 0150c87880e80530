// bench:wan's bandwidth cap (part 4): georep with maxBytesPerSecond copies a topic of 4 KiB records, uncompressed
// so that the bytes exist to be capped, on loopback; the rate is the growth of the destination's log segments (the
// batches as georep sent them) over --cap-seconds from the first byte, and again leaving out the first 5 s.
import { setTimeout as sleep } from 'node:timers/promises';
import { type MirrorRunInput, startGeorepMirror, topicBytesOnDisk, withMirror } from './mirror-runs.js';
import { runProducerPerformance } from './perf-tools.js';
import { round } from './report.js';
import type { WanSettings } from './wan-options.js';

const CAP_RECORD_BYTES = 4096;
/** Records for this much longer than --cap-seconds, so that the copy is still under way when it is measured. */
const CAP_SPARE_SECONDS = 15;

export interface CapResult {
  readonly capBytesPerSecond: number;
  readonly seconds: number;
  /** Destination log bytes per second from the first byte over `seconds`. */
  readonly bytesPerSecond: number;
  /** The same, leaving out the first 5 s (the bucket's one second of burst, start-up). */
  readonly steadyBytesPerSecond: number;
  readonly deviation: number;
  readonly steadyDeviation: number;
  readonly samples: readonly { readonly atMs: number; readonly bytes: number }[];
}

export async function measureCap(
  settings: WanSettings,
  base: Omit<MirrorRunInput, 'originAddress'>,
  createTopic: (topic: string) => Promise<void>,
  say: (line: string) => void,
): Promise<CapResult> {
  const topic = 'cap-4k';
  const { origin, destination, signal } = base;
  await createTopic(topic);
  const records = Math.ceil(
    (settings.capBytesPerSecond * (settings.capSeconds + CAP_SPARE_SECONDS)) / CAP_RECORD_BYTES,
  );
  say(
    `ProducerPerformance fills ${topic} with ${records} records of ${CAP_RECORD_BYTES} bytes (uncompressed)…`,
  );
  await runProducerPerformance({
    version: settings.version,
    bootstrap: origin.bootstrap,
    topic,
    records,
    recordBytes: CAP_RECORD_BYTES,
    timeoutMs: 600_000,
    signal,
  });
  const input = { ...base, topic, records, recordBytes: CAP_RECORD_BYTES, originAddress: origin.bootstrap };
  const start = startGeorepMirror(input, {
    tool: 'georep (capped)',
    namePrefix: 'georep.cap',
    compression: 'none',
    maxBytesPerSecond: settings.capBytesPerSecond,
    build: settings.georepBuild,
  });
  return withMirror(start, async (mirror) => {
    say(
      `georep copies ${topic} with maxBytesPerSecond ${settings.capBytesPerSecond} for ${settings.capSeconds} s…`,
    );
    const samples: { atMs: number; bytes: number }[] = [];
    let firstAtMs: number | null = null;
    for (;;) {
      signal.throwIfAborted();
      const failure = mirror.failure();
      if (failure !== null) throw new Error(failure);
      const bytes = await topicBytesOnDisk(destination, mirror.destinationTopic).catch(() => 0);
      const atMs = performance.now();
      if (bytes > 0) {
        firstAtMs ??= atMs;
        samples.push({ atMs: round(atMs - firstAtMs), bytes });
        if (atMs - firstAtMs >= settings.capSeconds * 1000) break;
      }
      await sleep(250, undefined, { signal });
    }
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const steadyFrom = samples.find((sample) => sample.atMs >= 5000) ?? first;
    const rate = (from: { atMs: number; bytes: number }) =>
      ((last.bytes - from.bytes) * 1000) / (last.atMs - from.atMs);
    const bytesPerSecond = round(rate(first));
    const steadyBytesPerSecond = round(rate(steadyFrom));
    return {
      capBytesPerSecond: settings.capBytesPerSecond,
      seconds: round(last.atMs / 1000, 1),
      bytesPerSecond,
      steadyBytesPerSecond,
      deviation: round(bytesPerSecond / settings.capBytesPerSecond - 1, 4),
      steadyDeviation: round(steadyBytesPerSecond / settings.capBytesPerSecond - 1, 4),
      samples: samples.filter((_, index) => index % 4 === 0),
    };
  });
}
