// `georep plan -c FILE`: what a reload with FILE would start, stop and restart, like `terraform plan`.
// It lists the origins' topics itself (read-only admin requests) and compares with the flows of the daemon
// answering on the HTTP address, or with nothing running if none answers.
import type { Config } from '../config/types.js';
import { desiredFlows, type TopicListing } from '../plan/desired-flows.js';
import type { FlowSpec } from '../plan/flow-spec.js';
import { desiredGroupSyncs, planGroupSyncs } from '../plan/group-syncs.js';
import { planFlows, planHasChanges } from '../plan/plan.js';
import { planToJson, renderPlanText } from '../plan/render-plan.js';
import {
  type Command,
  type CommandIo,
  EXIT,
  type ExitCode,
  parseCommandLine,
  UsageError,
} from './command.js';
import {
  CREDENTIAL_VARIABLES,
  daemonTarget,
  describeTarget,
  fetchDaemonStatus,
  readCaFile,
} from './daemon-client.js';
import { loadKafkaClient } from './kafka-client.js';
import { loadConfigOrReport } from './load-config.js';

const help = `usage: georep plan --config FILE [--base-dir DIR] [--daemon ADDRESS] [--daemon-ca FILE] [--json]

Shows what the daemon would do if FILE were loaded now: flows to start (+), stop (-), restart or
update in place (~), and selected topics that cannot be mirrored (!), with the settings that changed.
It reads the origin clusters' topic lists (read-only) and compares with the flows of the daemon at
ADDRESS (default: daemon.httpListen of FILE, over https when its daemon.httpWebConfig turns TLS on). If
nothing listens there (connection refused), it compares with nothing running, which is what the first
start would do; any other failure to read the daemon (an HTTP error, TLS, a timeout) fails. Nothing is
changed anywhere. A changed password or private key is not shown (the daemon publishes nothing derived
from one); the reload restarts the flows of that cluster.

options:
  -c, --config FILE       the geo-replication.yaml to plan for (required)
  --base-dir DIR          resolve relative paths in FILE against DIR (default: FILE's directory)
  --daemon ADDRESS        the running daemon's HTTP address: HOST:PORT, http:// or https://HOST:PORT
  --daemon-ca FILE        PEM CA certificate(s) to trust besides the system's and the web config's
  --json                  print the plan as JSON
  -h, --help              show this help

environment:
  ${CREDENTIAL_VARIABLES.user}, ${CREDENTIAL_VARIABLES.password}   basic auth, when the web config has basic_auth_users

exit status:
  0  nothing would change
  1  FILE is invalid, an origin's topics could not be listed, or the daemon could not be read
  2  usage error
  3  the plan has changes
`;

export const planCommand: Command = {
  name: 'plan',
  summary: 'show what a reload would start, stop and restart',
  help,
  async run(args: readonly string[], io: CommandIo): Promise<ExitCode> {
    const options = parseOptions(args);
    if (options.help) {
      io.stdout(help);
      return EXIT.ok;
    }
    const config = loadConfigOrReport(options.config, options.baseDir, io);
    if (config === null) return EXIT.failed;
    const { listings, failures } = await listOrigins(config);
    for (const failure of failures) io.stderr(`georep plan: cannot list the topics of ${failure}\n`);

    const webTls = config.daemon.httpWebConfig?.tls ?? null;
    const target = daemonTarget(options.daemon ?? config.daemon.httpListen, {
      tlsByDefault: webTls !== null,
      // The daemon's own certificate is trusted too, so a self-signed one needs no --daemon-ca.
      ca: [readCaFile(options.daemonCa), webTls?.cert].filter(Boolean).join('\n') || null,
      env: (name) => process.env[name],
    });
    const address = describeTarget(target);
    const answer = await fetchDaemonStatus(target);
    if (!answer.reachable && !answer.nothingListens) {
      // Planning against nothing would list every flow as new: a typo in --daemon must not look like that.
      io.stderr(`georep plan: cannot compare with the daemon: ${answer.reason}\n`);
      return EXIT.failed;
    }
    const running: FlowSpec[] = answer.reachable ? answer.status.flows.map((flow) => flow.spec) : [];
    const credentialChanges = credentialChangesOf(running);
    const desired = desiredFlows(config, listings, credentialChanges);
    const plan = planFlows(desired.flows, running);
    const runningSyncs = answer.reachable ? (answer.status.groupSyncs ?? []).map((sync) => sync.spec) : [];
    const groupSyncs = planGroupSyncs(desiredGroupSyncs(config, credentialChanges), runningSyncs);
    const against = answer.reachable
      ? `the daemon at ${address} (${running.length} flows)`
      : `nothing running: ${answer.reason}`;
    const incomplete =
      failures.length > 0
        ? `INCOMPLETE: the topics of ${failures.length} origin(s) could not be listed, so their flows are missing below.\n`
        : '';
    if (options.json) {
      const json = {
        comparedWith: against,
        complete: failures.length === 0,
        ...planToJson(plan, desired.rejected, groupSyncs),
      };
      io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      io.stdout(
        `Compared with ${against}.\n${incomplete}\n${renderPlanText(plan, desired.rejected, groupSyncs)}`,
      );
    }
    if (failures.length > 0) return EXIT.failed;
    return planHasChanges(plan) || planHasChanges(groupSyncs) ? EXIT.changesPending : EXIT.ok;
  },
};

/**
 * The daemon's count of secret changes per cluster, taken as it is: it publishes nothing derived from a
 * password, so a changed password or key cannot be seen from here (the reload restarts those flows).
 */
function credentialChangesOf(running: readonly FlowSpec[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { origin, destination, restartSettings } of running) {
    counts.set(origin, restartSettings.originCredentials);
    counts.set(destination, restartSettings.destinationCredentials);
  }
  return counts;
}

/** The topics of every origin of `config`, listed read-only; an origin that cannot be listed is a failure. */
export async function listOrigins(
  config: Config,
): Promise<{ listings: Map<string, TopicListing[]>; failures: string[] }> {
  const origins = [...new Set(config.replications.map((replication) => replication.origin))];
  const listings = new Map<string, TopicListing[]>();
  const failures: string[] = [];
  const { PlatformaticCluster } = await loadKafkaClient();
  await Promise.all(
    origins.map(async (origin) => {
      const cluster = config.clusters.get(origin);
      if (cluster === undefined) return;
      const admin = new PlatformaticCluster(cluster).createAdmin();
      try {
        const topics = await admin.listTopics();
        listings.set(
          origin,
          topics.map((topic) => ({ name: topic.name, partitions: topic.partitionCount })),
        );
      } catch (error) {
        failures.push(`${origin}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await admin.close().catch(() => undefined);
      }
    }),
  );
  return { listings, failures };
}

function parseOptions(args: readonly string[]) {
  const { values, positionals } = parse(args);
  if (values.help) return { help: true as const, config: '', json: false };
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.config === undefined) throw new UsageError('--config FILE is required');
  return {
    help: false as const,
    config: values.config,
    baseDir: values['base-dir'],
    daemon: values.daemon,
    daemonCa: values['daemon-ca'],
    json: values.json,
  };
}

function parse(args: readonly string[]) {
  return parseCommandLine({
    args: [...args],
    options: {
      config: { type: 'string', short: 'c' },
      'base-dir': { type: 'string' },
      daemon: { type: 'string' },
      'daemon-ca': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
}
