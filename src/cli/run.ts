// `georep run`: the daemon. This file is the composition root: it wires the real clock, process signals, the
// file watcher, the logger, metrics, systemd notifications and the @platformatic/kafka adapter into a Daemon.
//
// Signals: SIGHUP reloads (what `systemctl reload` sends). SIGTERM or SIGINT stops gracefully: flows stop
// consuming, flush to the destination and commit; the process exits 0, or 1 if daemon.shutdownTimeoutMs ran
// out. Another SIGTERM/SIGINT within a second of the first is the same request: a Ctrl-C in a terminal
// reaches every process of the foreground group, so a wrapper that forwards it (npm run demo) makes two. A
// later one exits at once (progress not yet committed is read and copied again later).

import { prettyDestination, resolveLogFormat } from '../observability/log-format.js';
import { createLogger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { systemdNotifier } from '../observability/systemd-notify.js';
import { watchConfigFile } from '../runtime/config-file-watch.js';
import { StartupFailed } from '../runtime/config-source.js';
import { Daemon } from '../runtime/daemon.js';
import {
  type Command,
  type CommandIo,
  EXIT,
  type ExitCode,
  parseCommandLine,
  UsageError,
} from './command.js';
import { loadKafkaClient } from './kafka-client.js';

const help = `usage: georep run --config FILE [--base-dir DIR] [--http-listen HOST:PORT] [--no-watch]
                  [--log-format auto|json|pretty]

Runs the replication daemon: mirrors the topics FILE selects and keeps them in sync, until SIGTERM
or SIGINT. Logs are JSON lines on stdout (one object per line, for journald, jq, Loki); in a
terminal they are shown as readable lines instead, with the same content.

Reloads: the file is watched (an edit in place, a rename over it as editors and Ansible do, and a
symlink on its path re-pointed, as Kubernetes ConfigMaps and release directories do) and SIGHUP
(systemctl reload) reloads it too. An invalid file is rejected whole; the last good one stays
in force. Only the flows whose settings changed are stopped, started or restarted.

options:
  -c, --config FILE         the geo-replication.yaml to run (required)
  --base-dir DIR            resolve relative paths in FILE against DIR (default: FILE's directory)
  --http-listen HOST:PORT   serve /healthz, /readyz, /status, /metrics here instead of daemon.httpListen
  --no-watch                do not watch FILE; reload only on SIGHUP
  --log-format FORMAT       json, pretty, or auto (default): pretty when stdout is a terminal
  -h, --help                show this help

exit status:
  0  stopped by SIGTERM/SIGINT after flushing and committing
  1  the configuration is invalid at startup, the graceful stop ran out of time, or another
     SIGTERM/SIGINT came more than a second after the first (exit at once, without committing)
  2  usage error
`;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the replication daemon',
  help,
  async run(args: readonly string[], io: CommandIo): Promise<ExitCode> {
    const parsed = parseRunArgs(args);
    if (parsed.help) {
      io.stdout(help);
      return EXIT.ok;
    }
    const logFormat = resolveLogFormat(parsed.logFormat, process.stdout.isTTY === true);
    const logger = createLogger(
      'info',
      logFormat === 'pretty'
        ? prettyDestination(1, process.env.NO_COLOR === undefined || process.env.NO_COLOR === '')
        : undefined,
    );
    const metrics = new Metrics();
    const { createPlatformaticCluster } = await loadKafkaClient();
    const notifier = systemdNotifier(process.env, (error) =>
      logger.warn({ err: error }, 'could not notify systemd'),
    );
    const daemon = new Daemon({
      configPath: parsed.config,
      ...(parsed.baseDir === undefined ? {} : { baseDir: parsed.baseDir }),
      ...(parsed.httpListen === undefined ? {} : { httpListenOverride: parsed.httpListen }),
      env: io.env,
      clusterFactory: createPlatformaticCluster,
      logger,
      metrics,
      notifier,
    });

    let firstStopSignalMs: number | null = null;
    const stopped = new Promise<ExitCode>((resolve) => {
      const onStopSignal = (signal: NodeJS.Signals) => {
        if (firstStopSignalMs !== null) {
          if (Date.now() - firstStopSignalMs < SAME_STOP_REQUEST_MS) {
            logger.info({ signal }, 'stop signal again at once: the same request, still stopping gracefully');
            return;
          }
          logger.warn({ signal }, 'second stop signal: exiting now without waiting for flows');
          process.exit(EXIT.failed);
        }
        firstStopSignalMs = Date.now();
        const timeoutMs = daemon.shutdownTimeoutMs;
        logger.info({ signal, timeoutMs }, 'stopping: flushing and committing progress');
        daemon.stop(timeoutMs).then(
          (outcome) => {
            if (outcome === 'timeout')
              logger.error({ timeoutMs }, 'flows did not stop in time; exiting anyway');
            else logger.info('stopped');
            resolve(outcome === 'stopped' ? EXIT.ok : EXIT.failed);
          },
          (error: unknown) => {
            // A bug, but the process must still exit, with the reason in the log.
            logger.error({ err: error }, 'stopping failed; exiting anyway');
            resolve(EXIT.failed);
          },
        );
      };
      process.on('SIGTERM', onStopSignal);
      process.on('SIGINT', onStopSignal);
    });
    process.on('SIGHUP', () => {
      logger.info('SIGHUP: reloading the configuration');
      daemon.requestReconcile('sighup');
    });

    let started: 'started' | 'stopped';
    try {
      started = await daemon.start();
    } catch (error) {
      if (!(error instanceof StartupFailed)) throw error;
      for (const line of error.details) io.stderr(`${line}\n`);
      io.stderr(`georep run: ${error.message}\n`);
      logger.fatal({ errors: error.details }, error.message);
      await daemon.stop(1000);
      process.exit(EXIT.failed);
    }
    // Stopped during startup: the stop signal's handler has the exit code, and nothing runs to watch for.
    const watcher =
      started === 'started' && parsed.watch
        ? watchConfigFile(parsed.config, {
            quietMs: WRITE_QUIET_MS,
            onChange: () => daemon.requestReconcile('file-change'),
            onWatchError: (dir, error) =>
              logger.warn(
                { dir, err: error },
                'cannot watch a directory the config path goes through; retrying',
              ),
          })
        : null;
    if (started === 'started')
      logger.info({ flows: daemon.status().flows.length, http: daemon.httpAddress }, 'georep is running');

    const exitCode = await stopped;
    watcher?.close();
    logger.flush();
    // A client may leave timers or sockets behind after closing; the daemon's work is done, so exit for sure.
    process.exit(exitCode);
  },
};

/**
 * How long the file must have seen no event before a change is taken. A rename over the file (Ansible, most
 * editors, a ConfigMap swap) is complete at once; an in-place write of a config file is one write() in
 * practice. Should a slow writer still be caught half-way, the half file is rejected whole (the running
 * config stays) and the complete one, a moment later, is loaded: a shorter wait costs at most a logged
 * rejection, and saves its length on every reload.
 */
const WRITE_QUIET_MS = 100;

/** Stop signals this soon after the first are the same request (see the top of this file). */
export const SAME_STOP_REQUEST_MS = 1000;

const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

function parseRunArgs(args: readonly string[]) {
  const { values, positionals } = parseCommandLine({
    args: [...args],
    options: {
      config: { type: 'string', short: 'c' },
      'base-dir': { type: 'string' },
      'http-listen': { type: 'string' },
      'no-watch': { type: 'boolean', default: false },
      'log-format': { type: 'string', default: 'auto' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { help: true as const, config: '', watch: false, logFormat: 'auto' as const };
  const logFormat = LOG_FORMATS.find((format) => format === values['log-format']);
  if (logFormat === undefined) {
    throw new UsageError(`--log-format must be auto, json or pretty, not "${values['log-format']}"`);
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.config === undefined) throw new UsageError('--config FILE is required');
  return {
    help: false as const,
    config: values.config,
    baseDir: values['base-dir'],
    httpListen: values['http-listen'],
    watch: !values['no-watch'],
    logFormat,
  };
}
