// The worker thread of config-loader.ts: runs loadConfigFile — the very function `georep validate` and
// `georep plan` call — for each load the parent asks for, and posts the result back. A worker cannot call
// the daemon's `env` function, so it asks the parent for the variables the file references and loads with
// those; should the loader read one it was not given (a reference spelled with YAML escapes), it asks for
// that one too and loads again.
import { parentPort } from 'node:worker_threads';
import { readTextFile } from '../config/environment.js';
import { CONFIG_LIMITS } from '../config/limits.js';
import { loadConfigFile } from '../config/load.js';
import { envNamesReferencedIn } from '../config/secrets.js';
import { type TransferredLoadResult, toTransfer } from '../config/transfer.js';

/** Parent → worker. */
export type ConfigLoaderRequest =
  | { readonly kind: 'load'; readonly id: number; readonly file: string; readonly baseDir?: string }
  /** The values of the variables asked for; a name missing from `values` is not set. */
  | { readonly kind: 'env'; readonly id: number; readonly values: Readonly<Record<string, string>> };

/** Worker → parent. */
export type ConfigLoaderMessage =
  | { readonly kind: 'env-request'; readonly id: number; readonly names: readonly string[] }
  | { readonly kind: 'result'; readonly id: number; readonly result: TransferredLoadResult };

if (parentPort === null) throw new Error('config-loader-worker.ts runs only as a worker thread');
const port = parentPort;
/** Loads waiting for the parent's answer about variables, by id. */
const envWaiters = new Map<number, (values: Readonly<Record<string, string>>) => void>();

port.on('message', (request: ConfigLoaderRequest) => {
  if (request.kind === 'env') {
    envWaiters.get(request.id)?.(request.values);
    return;
  }
  void load(request).then((result) =>
    port.postMessage({ kind: 'result', id: request.id, result } satisfies ConfigLoaderMessage),
  );
});

async function load(request: { id: number; file: string; baseDir?: string }): Promise<TransferredLoadResult> {
  const known = new Map<string, string | undefined>();
  const ask = (names: readonly string[]) =>
    new Promise<void>((resolve) => {
      envWaiters.set(request.id, (values) => {
        envWaiters.delete(request.id);
        for (const name of names) known.set(name, values[name]);
        resolve();
      });
      port.postMessage({ kind: 'env-request', id: request.id, names } satisfies ConfigLoaderMessage);
    });
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
    if (missed.size === 0) return toTransfer(result);
    await ask([...missed]);
  }
}
