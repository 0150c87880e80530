// Reading /metrics as Prometheus would: one sample of the text exposition format.

/**
 * The value of the first sample of `name` whose line contains `labelsInclude`, e.g.
 * `sampleValue(text, 'georep_flow_offset_lag_records', 'topic="orders"')`; null when there is none.
 */
export function sampleValue(exposition: string, name: string, labelsInclude = ''): number | null {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!line.includes(labelsInclude)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}
