// The worker thread of config-loader.ts: runs loadConfigFile — the very function `georep validate` and
// `georep plan` call — and posts the result back. A worker cannot call the daemon's `env` function, so it
// asks the parent for the variables the file references and loads with those; should the loader read one
// it was not given (a reference spelled with YAML escapes), it asks for that one too and loads again.
import { parentPort, workerData } from 'node:worker_threads';
import { readTextFile } from '../config/environment.js';
import { CONFIG_LIMITS } from '../config/limits.js';
import { loadConfigFile } from '../config/load.js';
import { envNamesReferencedIn } from '../config/secrets.js';
import { type TransferredLoadResult, toTransfer } from '../config/transfer.js';

export interface ConfigLoadRequest {
  readonly file: string;
  readonly baseDir?: string;
}

/** Worker → parent. */
export type ConfigLoaderMessage =
  | { readonly kind: 'env-request'; readonly names: readonly string[] }
  | { readonly kind: 'result'; readonly result: TransferredLoadResult };

/** Parent → worker: the values of the variables asked for; a missing name is not set. */
export interface EnvReply {
  readonly values: Readonly<Record<string, string>>;
}

if (parentPort === null) throw new Error('config-loader-worker.ts runs only as a worker thread');
const port = parentPort;
const request = workerData as ConfigLoadRequest;
const known = new Map<string, string | undefined>();

function ask(names: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    port.once('message', (reply: EnvReply) => {
      for (const name of names) known.set(name, reply.values[name]);
      resolve();
    });
    port.postMessage({ kind: 'env-request', names } satisfies ConfigLoaderMessage);
  });
}

const read = readTextFile(request.file, CONFIG_LIMITS.maxFileBytes);
const referenced = read.ok ? envNamesReferencedIn(read.text) : [];
if (referenced.length > 0) await ask(referenced);
for (;;) {
  const missed = new Set<string>();
  const result = loadConfigFile(request.file, {
    ...(request.baseDir === undefined ? {} : { baseDir: request.baseDir }),
    env: (name) => {
      if (!known.has(name)) missed.add(name);
      return known.get(name);
    },
  });
  if (missed.size === 0) {
    port.postMessage({ kind: 'result', result: toTransfer(result) } satisfies ConfigLoaderMessage);
    break;
  }
  await ask([...missed]);
}
