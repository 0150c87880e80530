// @ts-check
// The status page's view model: plain functions from /status JSON to what the page shows (problems first,
// counts by state, flows grouped per replication, the filter, a page of rows, chart lines). No DOM here, so
// the unit tests import this file as it is, and the daemon inlines it into status-page.html's script.

/**
 * @typedef {{ reason: string, message: string, retriable: boolean }} FlowError
 * @typedef {{
 *   key: string, replication: string, state: string, sinceMs: number, error: FlowError | null,
 *   lag: number | null, lagMeasuredAtMs: number | null, timeLagMs?: number | null, recordsPerSecond: number,
 *   lastBatchAtMs: number | null, recordsMirrored: number,
 * }} FlowStatus
 * @typedef {{ flows: FlowStatus[], problems: number, counts: StateCount[], lag: number | null,
 *   lagComplete: boolean, recordsPerSecond: number }} ReplicationGroup
 * @typedef {{ name: string, flows: FlowStatus[] } & Omit<ReplicationGroup, 'flows'>} NamedGroup
 * @typedef {{ state: string, count: number, tone: Tone }} StateCount
 * @typedef {'ok' | 'idle' | 'busy' | 'bad' | 'warn'} Tone
 * @typedef {{ atMs: number, lag: number | null, recordsPerSecond: number }} Sample
 * @typedef {{ replication: string, maxBytesPerSecond: number, bytesWritten: number, throttledSeconds: number }}
 *   BandwidthCap
 */

/** @type {Record<string, { rank: number, tone: Tone }>} */
const KNOWN_STATES = {
  error: { rank: 0, tone: 'bad' },
  starting: { rank: 2, tone: 'busy' },
  stalled: { rank: 1, tone: 'bad' },
  updating: { rank: 2, tone: 'busy' },
  stopping: { rank: 2, tone: 'busy' },
  stopped: { rank: 3, tone: 'busy' },
  paused: { rank: 4, tone: 'idle' },
  running: { rank: 5, tone: 'ok' },
};
/** A state this page does not know (a newer daemon's) ranks right after `error`: it may well be a problem. */
const UNKNOWN_STATE = { rank: 1, tone: /** @type {Tone} */ ('warn') };

/** @param {string} state */
export function stateTone(state) {
  return (KNOWN_STATES[state] ?? UNKNOWN_STATE).tone;
}

/** @param {string} state */
function stateRank(state) {
  return (KNOWN_STATES[state] ?? UNKNOWN_STATE).rank;
}

/** A flow that is not copying when it should: anything but running and paused. */
/** @param {FlowStatus} flow */
export function isProblem(flow) {
  return flow.state !== 'running' && flow.state !== 'paused';
}

/**
 * Problems first (error, then unknown states, then the transitional ones), then the largest lag, then by key.
 * @param {FlowStatus} a
 * @param {FlowStatus} b
 */
export function compareFlows(a, b) {
  const byRank = stateRank(a.state) - stateRank(b.state);
  if (byRank !== 0) return byRank;
  const byLag = (b.lag ?? -1) - (a.lag ?? -1);
  if (byLag !== 0) return byLag;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * How many flows are in each state, worst state first.
 * @param {readonly FlowStatus[]} flows
 * @returns {StateCount[]}
 */
export function countByState(flows) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const flow of flows) counts.set(flow.state, (counts.get(flow.state) ?? 0) + 1);
  return [...counts]
    .map(([state, count]) => ({ state, count, tone: stateTone(state) }))
    .sort((a, b) => stateRank(a.state) - stateRank(b.state) || (a.state < b.state ? -1 : 1));
}

/**
 * Whether a flow matches what was typed in the filter box: every word must match, case-insensitive; a word
 * `state:X` matches the state exactly, any other word a part of the flow's key, replication, state or error.
 * @param {FlowStatus} flow
 * @param {string} query
 */
export function matchesFilter(flow, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = [flow.key, flow.replication, flow.state, flow.error?.reason ?? '', flow.error?.message ?? '']
    .join('\n')
    .toLowerCase();
  return words.every((word) =>
    word.startsWith('state:') ? flow.state.toLowerCase() === word.slice(6) : text.includes(word),
  );
}

/**
 * Flows per replication, each sorted by compareFlows; replications with problems first, then by name.
 * @param {readonly FlowStatus[]} flows
 * @returns {NamedGroup[]}
 */
export function groupByReplication(flows) {
  /** @type {Map<string, FlowStatus[]>} */
  const byName = new Map();
  for (const flow of flows) {
    const list = byName.get(flow.replication);
    if (list === undefined) byName.set(flow.replication, [flow]);
    else list.push(flow);
  }
  return [...byName]
    .map(([name, members]) => ({ name, ...summarizeGroup(members.sort(compareFlows)) }))
    .sort((a, b) => (b.problems > 0 ? 1 : 0) - (a.problems > 0 ? 1 : 0) || (a.name < b.name ? -1 : 1));
}

/**
 * @param {FlowStatus[]} flows
 * @returns {ReplicationGroup}
 */
function summarizeGroup(flows) {
  let lag = 0;
  let lagKnown = 0;
  let recordsPerSecond = 0;
  let problems = 0;
  for (const flow of flows) {
    if (flow.lag !== null) {
      lag += flow.lag;
      lagKnown++;
    }
    recordsPerSecond += flow.recordsPerSecond;
    if (isProblem(flow)) problems++;
  }
  return {
    flows,
    problems,
    counts: countByState(flows),
    lag: lagKnown === 0 ? null : lag,
    lagComplete: lagKnown === flows.length,
    recordsPerSecond,
  };
}

/**
 * One page of `items`; `page` is clamped to the pages there are (0-based).
 * @template T
 * @param {readonly T[]} items
 * @param {number} page
 * @param {number} pageSize
 */
export function pageOf(items, page, pageSize) {
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  const current = Math.min(Math.max(0, Math.floor(page)), pages - 1);
  return { items: items.slice(current * pageSize, (current + 1) * pageSize), page: current, pages };
}

/**
 * Adds a sample to a chart's history and keeps it bounded: samples older than `windowMs` before the newest,
 * and beyond `maxSamples`, are dropped. Returns a new array.
 * @param {readonly Sample[]} samples
 * @param {Sample} sample
 * @param {{ windowMs: number, maxSamples: number }} bounds
 * @returns {Sample[]}
 */
export function addSample(samples, sample, bounds) {
  const kept = samples.filter((old) => old.atMs > sample.atMs - bounds.windowMs && old.atMs < sample.atMs);
  kept.push(sample);
  return kept.slice(-bounds.maxSamples);
}

/**
 * The smallest of 1, 2, 5 × 10^k that is at least `value` (at least 1): a chart's top that reads well.
 * @param {number} value
 */
export function niceCeiling(value) {
  if (!(value > 1)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/**
 * A chart line as SVG polyline point lists (one per stretch without gaps: an unknown value breaks the line;
 * a lone point is given twice, a line of length zero that round line caps draw as a dot),
 * time on x from `fromMs` (left) to `toMs` (right), the value on y from 0 (bottom) to `top`, a niceCeiling of
 * the largest value.
 * @param {readonly Sample[]} samples
 * @param {(sample: Sample) => number | null} value
 * @param {{ fromMs: number, toMs: number, width: number, height: number }} box
 */
export function chartLines(samples, value, box) {
  const values = samples.map(value);
  const top = niceCeiling(Math.max(0, ...values.map((v) => v ?? 0)));
  const spanMs = Math.max(1, box.toMs - box.fromMs);
  /** @type {string[]} */
  const lines = [];
  /** @type {string[]} */
  let current = [];
  const endLine = () => {
    if (current.length === 1) current.push(current[0] ?? '');
    if (current.length > 0) lines.push(current.join(' '));
    current = [];
  };
  for (const [index, sample] of samples.entries()) {
    const v = values[index];
    if (v === null || v === undefined || sample.atMs < box.fromMs) {
      endLine();
      continue;
    }
    const x = ((sample.atMs - box.fromMs) / spanMs) * box.width;
    const y = box.height - (Math.min(v, top) / top) * box.height;
    current.push(`${round(x)},${round(y)}`);
  }
  endLine();
  return { top, lines };
}

/** @param {number} n */
function round(n) {
  return Math.round(n * 10) / 10;
}

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** @param {number | null} count */
export function formatCount(count) {
  return count === null ? '?' : NUMBER.format(count);
}

/**
 * `1 flow`, `10,000 flows`.
 * @param {number} count
 * @param {string} noun
 */
export function countOf(count, noun) {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/** @param {number} ms */
export function formatDuration(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

/**
 * How long a running flow needs to copy its lag at its current rate; null when it has no lag, copies nothing,
 * or is not running (its rate is then the one from before it stopped).
 * @param {FlowStatus} flow
 */
export function catchUpMs(flow) {
  if (flow.state !== 'running' || flow.lag === null || flow.lag === 0 || flow.recordsPerSecond <= 0)
    return null;
  return (flow.lag / flow.recordsPerSecond) * 1000;
}

/**
 * `1.0 kB`, `20 MB`: decimal units, as maxBytesPerSecond is written.
 * @param {number} bytes
 */
export function formatBytes(bytes) {
  if (bytes < 1e3) return `${formatCount(bytes)} B`;
  if (bytes < 1e6) return `${formatCount(bytes / 1e3)} kB`;
  if (bytes < 1e9) return `${formatCount(bytes / 1e6)} MB`;
  return `${formatCount(bytes / 1e9)} GB`;
}

/**
 * A replication's cap as the page shows it: the cap, and the share of the time between two polls that its
 * partitions spent waiting for it (each partition's batches wait on their own, and throttledSeconds is summed
 * over them, so it is divided by their number): near 100%, the cap is what holds the replication back. Only
 * the cap when there is no earlier poll to compare with.
 * @param {BandwidthCap} cap
 * @param {{ cap: BandwidthCap, atMs: number } | undefined} previous
 * @param {number} atMs when `cap` was read
 * @param {number} partitions the partitions of the replication's running flows
 */
export function describeCap(cap, previous, atMs, partitions) {
  const limit = `cap ${formatBytes(cap.maxBytesPerSecond)}/s`;
  const elapsedMs = previous === undefined ? 0 : atMs - previous.atMs;
  if (previous === undefined || elapsedMs <= 0 || partitions === 0) return limit;
  const waitedMs = (cap.throttledSeconds - previous.cap.throttledSeconds) * 1000;
  const share = Math.min(1, Math.max(0, waitedMs / (elapsedMs * partitions)));
  return `${limit}, waited for ${Math.round(share * 100)}% of the last ${formatDuration(elapsedMs)}`;
}

/** @param {string} text */
export function escapeHtml(text) {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
