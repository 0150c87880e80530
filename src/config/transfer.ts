// A load result as a message between threads. The loader runs in a worker thread (so that a large file never
// holds up the daemon's event loop), and what it posts back must not hold it up either: a config of 10,000
// replications copied as one structured clone takes the receiving thread hundreds of milliseconds to take
// in on a busy machine, in one go. So the result travels as JSON text, one piece per replication and per
// issue (copying strings costs next to nothing), and the receiver parses the pieces in steps
// (plan/steps.ts). JSON keeps what a Config holds: plain objects, arrays, strings, numbers, booleans and
// null; Maps and Secrets travel tagged and are rebuilt, and the config is frozen again as the loader froze
// it. The message holds secret values: it must only ever be posted to the thread that asked for the load.
import type { Steps } from '../plan/steps.js';
import type { ConfigIssue } from './issues.js';
import { deepFreeze, type FileLoadResult } from './load.js';
import { type Config, type ReplicationConfig, Secret } from './types.js';

const MAP_TAG = 'georep.map';
const SECRET_TAG = 'georep.secret';

/** A message that stands for a FileLoadResult; only `fromTransfer` reads it. */
export type TransferredLoadResult =
  | { readonly kind: 'unreadable'; readonly unreadable: string }
  | { readonly kind: 'rejected'; readonly issues: readonly string[] }
  | {
      readonly kind: 'loaded';
      /** The config without its replications. */
      readonly config: string;
      readonly replications: readonly string[];
      readonly warnings: readonly string[];
    };

export function toTransfer(result: FileLoadResult): TransferredLoadResult {
  if ('unreadable' in result) return { kind: 'unreadable', unreadable: result.unreadable };
  if (!result.ok) return { kind: 'rejected', issues: result.issues.map(toJson) };
  return {
    kind: 'loaded',
    config: toJson({ ...result.config, replications: [] }),
    replications: result.config.replications.map(toJson),
    warnings: result.warnings.map(toJson),
  };
}

/**
 * The load result as the loader returned it: secrets are `Secret`s and the config is deeply frozen. One
 * step per replication and per issue.
 */
export function* fromTransfer(message: TransferredLoadResult): Steps<FileLoadResult> {
  if (message.kind === 'unreadable') return { ok: false, unreadable: message.unreadable };
  const issues: ConfigIssue[] = [];
  for (const issue of message.kind === 'rejected' ? message.issues : message.warnings) {
    issues.push(fromJson(issue));
    yield;
  }
  if (message.kind === 'rejected') return { ok: false, issues };
  const replications: ReplicationConfig[] = [];
  for (const replication of message.replications) {
    replications.push(deepFreeze(fromJson(replication)));
    yield;
  }
  const config: Config = { ...fromJson<Config>(message.config), replications };
  return { ok: true, config: deepFreeze(config), warnings: issues };
}

function toJson(value: unknown): string {
  return JSON.stringify(value, function tag(this: Record<string, unknown>, key: string, written: unknown) {
    // `written` is what toJSON made of the value (a Secret writes itself as a placeholder): look at the
    // value itself.
    const original = this[key];
    if (original instanceof Secret) {
      return { [SECRET_TAG]: { value: original.reveal(), reference: original.reference } };
    }
    if (original instanceof Map) return { [MAP_TAG]: [...original] };
    return written;
  });
}

function fromJson<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null) return value;
    if (MAP_TAG in value) return new Map(value[MAP_TAG] as [unknown, unknown][]);
    if (SECRET_TAG in value) {
      const { value: secret, reference } = value[SECRET_TAG] as { value: string; reference: string };
      return new Secret(secret, reference);
    }
    return value;
  }) as T;
}
