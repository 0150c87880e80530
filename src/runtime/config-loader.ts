// Loads the configuration file in a worker thread, so that the daemon's event loop — /healthz, the flows'
// copying, the systemd watchdog — goes on while a large file (10,000 replications take seconds) is read,
// parsed, validated and compiled. The worker runs loadConfigFile, the function `georep validate` and
// `georep plan` run, so a file gets the same result and the same `file:line:col` errors in the daemon as
// on the command line. What the main thread still does: answer the worker's questions about environment
// variables, and take the result in (JSON pieces, parsed in time slices; secrets become Secrets again and
// the config is frozen).
//
// One worker serves every load of the process: it is started at the first load (starting one and loading
// the loader's modules takes far longer than loading a small file) and kept, without keeping the process
// alive while no load runs. A worker that failed is replaced at the next load.
import { Worker } from 'node:worker_threads';
import type { FileLoadResult, LoadFileOptions } from '../config/load.js';
import { fromTransfer } from '../config/transfer.js';
import type { ConfigLoaderMessage, ConfigLoaderRequest } from './config-loader-worker.js';
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

interface PendingLoad {
  /** The worker that runs it: only that worker's failure fails it. */
  readonly worker: Worker;
  readonly env: (name: string) => string | undefined;
  readonly resolve: (result: Promise<FileLoadResult>) => void;
  readonly reject: (error: ConfigLoaderFailed) => void;
}

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, PendingLoad>();

function startWorker(): Worker {
  const started = new Worker(WORKER_URL);
  started.on('message', (message: ConfigLoaderMessage) => {
    const load = pending.get(message.id);
    if (load === undefined) return;
    if (message.kind === 'env-request') {
      const values: Record<string, string> = {};
      for (const name of message.names) {
        const value = load.env(name);
        if (value !== undefined) values[name] = value;
      }
      started.postMessage({ kind: 'env', id: message.id, values } satisfies ConfigLoaderRequest);
      return;
    }
    settle(message.id, () => load.resolve(runInSlices(fromTransfer(message.result))));
  });
  const fail = (cause: unknown) => {
    if (worker === started) worker = null;
    for (const [id, load] of pending) {
      if (load.worker === started) settle(id, () => load.reject(new ConfigLoaderFailed(cause)));
    }
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(`it exited with code ${code}`));
  return started;
}

function settle(id: number, outcome: () => void): void {
  if (!pending.delete(id)) return;
  outcome();
  if (pending.size === 0) worker?.unref();
}

/**
 * loadConfigFile(file, options), run in the worker thread. `options.env` is called on this thread, once
 * per variable the file references.
 * @throws ConfigLoaderFailed when the worker failed.
 */
export function loadConfigFileInWorker(file: string, options: LoadFileOptions = {}): Promise<FileLoadResult> {
  const env = options.env ?? ((name: string) => process.env[name]);
  const running = worker ?? startWorker();
  worker = running;
  running.ref();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { worker: running, env, resolve, reject });
    running.postMessage({
      kind: 'load',
      id,
      file,
      ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
    } satisfies ConfigLoaderRequest);
  });
}
