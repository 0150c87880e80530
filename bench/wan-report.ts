// bench:wan's tables: throughput per link and mirror (each one's median round), and latency.
import type { MirrorResult } from './mirror-runs.js';
import { formatTable, MIB } from './report.js';
import type { LatencyFigures, LatencyResult } from './wan-latency.js';

export interface ThroughputRow extends MirrorResult {
  readonly link: string;
  readonly round: number;
}

function ratio(value: number, reference: number | undefined): string {
  return reference === undefined || reference === 0 ? '—' : `${(value / reference).toFixed(2)}×`;
}

export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Per link and tool, the round with the median rate; of an even number, the slower of the two middle ones. */
export function medianRounds(rows: readonly ThroughputRow[]): ThroughputRow[] {
  const groups = new Map<string, ThroughputRow[]>();
  for (const row of rows) {
    const key = `${row.link}\t${row.tool}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) => {
    const sorted = [...group].sort((a, b) => a.recordsPerSecond - b.recordsPerSecond);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  });
}

export function roundRates(rows: readonly ThroughputRow[]): string[] {
  return medianRounds(rows).map((median) => {
    const rates = rows
      .filter((row) => row.link === median.link && row.tool === median.tool)
      .map((row) => count(row.recordsPerSecond));
    return `- ${median.link}, ${median.tool}: ${rates.join(', ')} records/s`;
  });
}

export function throughputTable(rows: readonly ThroughputRow[], originBytes: number): string {
  const tuned = (link: string) => rows.find((row) => row.link === link && row.tool.includes('tuned'));
  return formatTable(
    ['link', 'tool', 'records/s', 'vs MM2 tuned', 'CPU s', 'peak RSS MiB', 'dest MiB', 'dest/origin'],
    rows.map((row) => [
      row.link,
      row.tool,
      count(row.recordsPerSecond),
      ratio(row.recordsPerSecond, tuned(row.link)?.recordsPerSecond),
      row.cpuMs === null ? '—' : (row.cpuMs / 1000).toFixed(1),
      row.peakRssBytes === null ? '—' : String(Math.round(row.peakRssBytes / MIB)),
      (row.destinationBytes / MIB).toFixed(1),
      (row.destinationBytes / originBytes).toFixed(3),
    ]),
  );
}

export function latencyTable(
  results: readonly (LatencyResult & { link: string; roundTripMs: number })[],
): string {
  const figures = (value: LatencyFigures) => `${value.p50Ms.toFixed(0)} / ${value.p99Ms.toFixed(0)}`;
  return formatTable(
    [
      'link',
      'tool',
      'records/s',
      'mirror p50/p99 ms',
      'target p99 <',
      'max ms',
      'create→dest p50/p99',
      'create→origin p50/p99',
      'proxy late p50/p99',
    ],
    results.map((result) => [
      result.link,
      result.tool,
      count(result.recordsPerSecond),
      figures(result.mirror),
      String(result.roundTripMs + 100),
      result.mirror.maxMs.toFixed(0),
      figures(result.destination),
      figures(result.origin),
      result.proxyLate === null ? '-' : `${result.proxyLate.p50Ms} / ${result.proxyLate.p99Ms}`,
    ]),
  );
}
