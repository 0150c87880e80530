// The config file as the daemon sees it: loaded (in a worker thread, config-loader.ts) when a trigger may have
// changed it, and put in force only whole. An invalid file, or one whose daemon settings cannot be applied, is
// rejected: the last good config stays in force, untouched, and the failure goes to the log, /status and a
// metric. Only this class sets the reload metrics.
import { createHash } from 'node:crypto';
import { readTextFile } from '../config/environment.js';
import { formatIssue } from '../config/issues.js';
import { CONFIG_LIMITS } from '../config/limits.js';
import type { FileLoadResult } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { loadConfigFileInWorker } from './config-loader.js';

export interface ReloadOutcome {
  readonly ok: boolean;
  readonly atMs: number;
  /** `file:line:col: message` lines of the rejected file, or warnings of the accepted one. */
  readonly messages: readonly string[];
}

export interface ConfigSourceDependencies {
  readonly configPath: string;
  /** Where relative paths in the file resolve; default: the file's directory. */
  readonly baseDir?: string | undefined;
  readonly env: (name: string) => string | undefined;
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'lastReloadSuccessful' | 'lastReloadSuccessTimestamp'>;
  readonly nowMs: () => number;
  /**
   * Applies the daemon-wide settings of a candidate config; returns why it cannot (the file is then
   * rejected), or null.
   */
  readonly applyDaemonSettings: (config: Config) => Promise<string | null>;
  /** Takes a config as it is put in force, before it is reported loaded. */
  readonly onAccepted: (config: Config) => void;
}

/** Thrown by Daemon.start() when the first load of the file fails: there is no last good config to keep running. */
export class StartupFailed extends Error {
  constructor(
    message: string,
    readonly details: readonly string[],
  ) {
    super(message);
    this.name = 'StartupFailed';
  }
}

export class ConfigSource {
  readonly #deps: ConfigSourceDependencies;
  #config: Config | null = null;
  /**
   * Digest of the file as last loaded, accepted or rejected: a write with the same bytes changes nothing,
   * and a file put back to the last good content after a rejected one is loaded again (and recovers).
   */
  #digest: string | null = null;
  #lastReload: ReloadOutcome | null = null;

  constructor(deps: ConfigSourceDependencies) {
    this.#deps = deps;
  }

  /** The config in force: the last good one, or null before the first was accepted. */
  get config(): Config | null {
    return this.#config;
  }

  get lastReload(): ReloadOutcome | null {
    return this.#lastReload;
  }

  /**
   * Loads the file and puts it in force. Returns whether a new config is now in force. A file whose bytes
   * did not change is not loaded again unless `force` (SIGHUP: secrets in other files may have changed).
   */
  async load(force: boolean): Promise<boolean> {
    const { configPath: path, logger, metrics } = this.#deps;
    let digest: string | null = null;
    // Read within the size limit, so that a huge file is refused (by loadConfigFile below) unread.
    const read = readTextFile(path, CONFIG_LIMITS.maxFileBytes);
    if (read.ok) digest = createHash('sha256').update(read.text).digest('hex');
    if (!force && digest !== null && digest === this.#digest) {
      logger.debug({ file: path }, 'the file was written but its content is the same: nothing to reload');
      return false;
    }
    let result: FileLoadResult;
    try {
      result = await loadConfigFileInWorker(path, {
        ...(this.#deps.baseDir === undefined ? {} : { baseDir: this.#deps.baseDir }),
        env: this.#deps.env,
      });
    } catch (error) {
      this.#reject([`${path}: cannot load the file: ${error instanceof Error ? error.message : error}`]);
      return false;
    }
    this.#digest = digest;
    if (!result.ok) {
      this.#reject(
        'unreadable' in result
          ? [`${path}: cannot read the file: ${result.unreadable}`]
          : result.issues.map(formatIssue),
      );
      return false;
    }
    const problem = await this.#deps.applyDaemonSettings(result.config);
    if (problem !== null) {
      this.#reject([`${path}: ${problem}`]);
      return false;
    }
    const messages = result.warnings.map(formatIssue);
    for (const message of messages) logger.warn(message);
    const atMs = this.#deps.nowMs();
    this.#config = result.config;
    this.#deps.onAccepted(result.config);
    this.#lastReload = { ok: true, atMs, messages };
    metrics.lastReloadSuccessful.set(1);
    metrics.lastReloadSuccessTimestamp.set(atMs / 1000);
    logger.level = result.config.daemon.logLevel;
    logger.info(
      { file: path, clusters: result.config.clusters.size, replications: result.config.replications.length },
      'configuration loaded',
    );
    return true;
  }

  #reject(messages: readonly string[]): void {
    const { logger } = this.#deps;
    this.#lastReload = { ok: false, atMs: this.#deps.nowMs(), messages };
    this.#deps.metrics.lastReloadSuccessful.set(0);
    logger.error(
      { file: this.#deps.configPath, errors: messages, keptConfig: this.#config !== null },
      this.#config === null
        ? `configuration rejected: ${messages.length} problem(s)`
        : `configuration rejected, the last good configuration stays in force: ${messages.length} problem(s)`,
    );
    for (const message of messages) logger.error(message);
  }
}
