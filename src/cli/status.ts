// `georep status`: the flows of the running daemon as a table (like `kubectl get`), or JSON.
import type { BandwidthCapStatus } from '../runtime/bandwidth-caps.js';
import type { DaemonStatus } from '../runtime/daemon.js';
import type { FlowStatus } from '../runtime/flow-status.js';
import type { GroupSyncStatus } from '../runtime/group-sync.js';
import { type Command, type CommandIo, EXIT, type ExitCode, parseCommandLine } from './command.js';
import {
  CREDENTIAL_VARIABLES,
  DEFAULT_DAEMON_ADDRESS,
  daemonTarget,
  fetchDaemonStatus,
  readCaFile,
} from './daemon-client.js';
import { flowsView, LISTED_FLOWS_MAX } from './status-summary.js';

const help = `usage: georep status [--daemon [https://]HOST:PORT] [--daemon-ca FILE] [--all] [--json]

Shows the flows of the running daemon: how many are in each state, then each flow's state, offset lag
(records not yet mirrored), records per second, records mirrored since the daemon started (across the
flow's restarts, as georep_records_mirrored_total counts them), and the last error, flows not running
first. Beyond ${LISTED_FLOWS_MAX} flows it summarises them per replication and lists only the flows not
running (at most ${LISTED_FLOWS_MAX}); --all lists every flow. Then, for replications with \`groups\`,
every consumer group whose positions follow: partitions translated, whether the destination group was
committed, the last sync and its error. Then, for replications with \`maxBytesPerSecond\`, the cap, the
bytes written under it and how long its partitions waited for it. Reads /status from the daemon's HTTP address.

options:
  --daemon ADDRESS     the daemon's HTTP address, HOST:PORT or https://HOST:PORT when daemon.httpWebConfig
                       turns TLS on (default ${DEFAULT_DAEMON_ADDRESS}, daemon.httpListen's default)
  --daemon-ca FILE     PEM CA certificate(s) to trust besides the system's (a private or self-signed one)
  --all                list every flow, however many there are
  --json               print the daemon's /status document as it is
  -h, --help           show this help

environment:
  ${CREDENTIAL_VARIABLES.user}, ${CREDENTIAL_VARIABLES.password}   basic auth, when the web config has basic_auth_users

exit status:
  0  the daemon answered and every flow is healthy (not in error, not stalled)
  1  no daemon answers, a flow is in error or stalled (its origin or destination does not answer),
     or the last reload was rejected
  2  usage error
`;

export const statusCommand: Command = {
  name: 'status',
  summary: 'show the flows of the running daemon',
  help,
  async run(args: readonly string[], io: CommandIo): Promise<ExitCode> {
    const { values } = parseCommandLine({
      args: [...args],
      options: {
        daemon: { type: 'string' },
        'daemon-ca': { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout(help);
      return EXIT.ok;
    }
    const target = daemonTarget(values.daemon ?? DEFAULT_DAEMON_ADDRESS, {
      ca: readCaFile(values['daemon-ca']),
      env: (name) => process.env[name],
    });
    const answer = await fetchDaemonStatus(target);
    if (!answer.reachable) {
      io.stderr(
        `georep status: no georep daemon answers: ${answer.reason}.\n` +
          'Is it running (systemctl status georep)? Does --daemon match daemon.httpListen?\n',
      );
      return EXIT.failed;
    }
    const { status } = answer;
    if (values.json) {
      io.stdout(`${JSON.stringify(status, null, 2)}\n`);
    } else {
      io.stdout(renderFlows(status.flows, { all: values.all }));
      if ((status.groupSyncs ?? []).length > 0) io.stdout(`\n${renderGroupSyncTable(status.groupSyncs)}`);
      // A capped replication's lag grows by design: this says why (`?? []`: a daemon from before caps).
      if ((status.bandwidthCaps ?? []).length > 0)
        io.stdout(`\n${renderBandwidthCaps(status.bandwidthCaps)}`);
      const rejectedReload = renderRejectedReload(status);
      if (rejectedReload !== '') io.stdout(`\n${rejectedReload}`);
      for (const rejected of status.rejected) {
        io.stdout(
          `\nnot mirrored: ${rejected.origin}/${rejected.originTopic} -> ${rejected.destination}/${rejected.destinationTopic}: ${rejected.reason}\n`,
        );
      }
    }
    const healthy =
      status.flows.every((flow) => flow.state !== 'error' && flow.state !== 'stalled') &&
      status.lastReload?.ok !== false;
    return healthy ? EXIT.ok : EXIT.failed;
  },
};

/** What `georep status` says of a reload georep refused: its file's problems, each with file:line:col; '' if none. */
export function renderRejectedReload(status: Pick<DaemonStatus, 'configFile' | 'lastReload'>): string {
  if (status.lastReload === null || status.lastReload.ok) return '';
  const messages = status.lastReload.messages.map((message) => `  ${message}\n`).join('');
  return `The last reload of ${status.configFile} was REJECTED; the previous config is in force:\n${messages}`;
}

/** The flows as `georep status` prints them: how many in each state, then a table (see flowsView). */
export function renderFlows(
  flows: readonly FlowStatus[],
  options: { readonly all: boolean; readonly nowMs?: number },
): string {
  if (flows.length === 0) return 'No flows.\n';
  const nowMs = options.nowMs ?? Date.now();
  const view = flowsView(flows, options);
  if (!view.summarised) return `${view.headline}\n\n${renderStatusTable(view.listed, nowMs)}`;
  const replications = renderTable(
    ['REPLICATION', 'FLOWS', 'LAG', 'RECORDS/S', 'STATES'],
    view.replications.map((summary) => [
      summary.replication,
      String(summary.flows),
      summary.unknownLags === 0 ? String(summary.lag) : `${summary.lag} (+${summary.unknownLags} unknown)`,
      String(summary.recordsPerSecond),
      summary.states,
    ]),
  );
  const notRunning =
    view.listed.length === 0
      ? ''
      : `\nNot running:\n${renderStatusTable(view.listed, nowMs)}` +
        (view.notRunningLeftOut === 0 ? '' : `… and ${view.notRunningLeftOut} more not running\n`);
  return `${view.headline}\n\n${replications}${notRunning}\n\`georep status --all\` lists every flow.\n`;
}

export function renderStatusTable(flows: readonly FlowStatus[], nowMs = Date.now()): string {
  if (flows.length === 0) return 'No flows.\n';
  const rows = flows.map((flow) => [
    flow.key,
    flow.state,
    lagCell(flow, nowMs),
    flow.timeLagMs === null ? '-' : formatSeconds(flow.timeLagMs),
    String(flow.recordsPerSecond),
    String(flow.recordsMirrored),
    flow.error === null ? '' : `${flow.error.reason}: ${flow.error.message}`,
  ]);
  return renderTable(['FLOW', 'STATE', 'LAG', 'BEHIND', 'RECORDS/S', 'MIRRORED', 'LAST ERROR'], rows);
}

/** How far behind in time, to the second: `0s`, `42s`, `3m05s`, `2h07m`. */
function formatSeconds(durationMs: number): string {
  const seconds = Math.round(durationMs / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * A lag figure is only worth what its age says: `0` is a fresh zero; `?` with an age is a lag that could not
 * be refreshed (the origin does not answer) and may have grown since; `-` was never measured.
 */
function lagCell(flow: FlowStatus, nowMs: number): string {
  if (flow.lag !== null) return String(flow.lag);
  if (flow.lagMeasuredAtMs === null) return '-';
  return `? (${Math.max(0, Math.round((nowMs - flow.lagMeasuredAtMs) / 1000))}s old)`;
}

/**
 * Columns padded to their widest cell, two spaces apart, like `kubectl get`. The last column (an error
 * message) is not padded and does not widen the others.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const last = header.length - 1;
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (column === last ? 0 : (row[column] ?? '').length))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === last ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

/**
 * One line per replication with a cap: the cap, the bytes its flows wrote under it and how long they waited for it
 * (summed over flows, so 3 flows held back for 10 s count 30 s), in MB as the cap is written (10^6 bytes).
 */
export function renderBandwidthCaps(caps: readonly BandwidthCapStatus[]): string {
  return renderTable(
    ['CAPPED REPLICATION', 'CAP', 'WRITTEN', 'FLOWS WAITED FOR THE CAP'],
    caps.map((cap) => [
      cap.replication,
      `${formatBytes(cap.maxBytesPerSecond)}/s`,
      formatBytes(cap.bytesWritten),
      `${cap.throttledSeconds.toFixed(1)} s`,
    ]),
  );
}

/** `512 B`, `20.0 kB`, `1.5 MB`, `3.21 GB`: decimal units, as maxBytesPerSecond is written. */
function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** One line per followed consumer group and destination, or per group sync that failed before listing groups. */
export function renderGroupSyncTable(syncs: readonly GroupSyncStatus[]): string {
  const rows = syncs.flatMap((sync) => {
    const synced = sync.lastSyncAtMs === null ? '-' : new Date(sync.lastSyncAtMs).toISOString();
    const groups = sync.groups.map((group) => [
      group.group,
      sync.destination,
      String(group.translatedPartitions),
      group.destinationCommit,
      group.lastSyncAtMs === null ? '-' : new Date(group.lastSyncAtMs).toISOString(),
      group.error ?? sync.error ?? '',
    ]);
    return groups.length > 0
      ? groups
      : [['-', sync.destination, '0', '-', synced, sync.error ?? 'no group selected yet']];
  });
  return renderTable(
    ['GROUP', 'DESTINATION', 'TRANSLATED', 'DESTINATION GROUP', 'LAST SYNC', 'LAST ERROR'],
    rows,
  );
}
