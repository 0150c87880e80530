// Loads the configuration file in a worker thread, so that the daemon's event loop — /healthz, the flows'
// copying, the systemd watchdog — goes on while a large file (10,000 replications take seconds) is read,
// parsed, validated and compiled. The worker runs loadConfigFile, the function `georep validate` and
// `georep plan` run, so a file gets the same result and the same `file:line:col` errors in the daemon as
// on the command line. What the main thread still does: answer the worker's questions about environment
// variables, and take the result (a structured copy; secrets become Secrets again, the config is frozen).
// A fresh worker per load: the memory a large parse used goes with it.
import { Worker } from 'node:worker_threads';
import type { FileLoadResult, LoadFileOptions } from '../config/load.js';
import { fromTransfer } from '../config/transfer.js';
import type { ConfigLoaderMessage, ConfigLoadRequest, EnvReply } from './config-loader-worker.js';
import { runInSlices } from './time-slices.js';

/** The worker's module beside this one: `.ts` when run from the sources (tsx), `.js` once compiled. */
const WORKER_URL = new URL(
  `./config-loader-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);

/** Thrown when the worker thread itself failed (it could not start, or a bug threw): the file was not judged. */
export class ConfigLoaderFailed extends Error {
  constructor(cause: unknown) {
    super(`the loader thread failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ConfigLoaderFailed';
  }
}

/**
 * loadConfigFile(file, options), run in a worker thread. `options.env` is called on this thread, once per
 * variable the file references.
 * @throws ConfigLoaderFailed when the worker failed.
 */
export function loadConfigFileInWorker(file: string, options: LoadFileOptions = {}): Promise<FileLoadResult> {
  const env = options.env ?? ((name: string) => process.env[name]);
  const request: ConfigLoadRequest = {
    file,
    ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: request });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
      void worker.terminate();
    };
    worker.on('message', (message: ConfigLoaderMessage) => {
      if (message.kind === 'env-request') {
        const values: Record<string, string> = {};
        for (const name of message.names) {
          const value = env(name);
          if (value !== undefined) values[name] = value;
        }
        worker.postMessage({ values } satisfies EnvReply);
        return;
      }
      settle(() => resolve(runInSlices(fromTransfer(message.result))));
    });
    worker.on('error', (error) => settle(() => reject(new ConfigLoaderFailed(error))));
    worker.on('exit', (code) =>
      settle(() => reject(new ConfigLoaderFailed(`it exited with code ${code} before answering`))),
    );
  });
}
