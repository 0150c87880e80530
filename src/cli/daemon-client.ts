// Reads a running daemon's /status over its HTTP port, for `georep plan` and `georep status`. The daemon may
// serve HTTPS with basic auth (daemon.httpWebConfig): the address then starts with https://, a private CA is
// given with --daemon-ca, and the credentials come from GEOREP_HTTP_USER and GEOREP_HTTP_PASSWORD (never a
// flag, which would show in `ps`).
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { DaemonStatus } from '../runtime/daemon.js';
import { UsageError } from './command.js';

export const DEFAULT_DAEMON_ADDRESS = '127.0.0.1:9787';
export const CREDENTIAL_VARIABLES = { user: 'GEOREP_HTTP_USER', password: 'GEOREP_HTTP_PASSWORD' } as const;
const REQUEST_TIMEOUT_MS = 3000;
/** /status of 100,000 flows is well below this. */
const MAX_STATUS_BYTES = 256 * 1024 * 1024;

export interface DaemonTarget {
  /** host:port */
  readonly address: string;
  readonly tls: boolean;
  /** Extra PEM CA certificates trusted besides the system's, for a private or self-signed certificate. */
  readonly ca: string | null;
  readonly credentials: { readonly user: string; readonly password: string } | null;
}

export type DaemonAnswer =
  | { readonly reachable: true; readonly status: DaemonStatus }
  | { readonly reachable: false; readonly reason: string };

/**
 * `HOST:PORT`, `http://HOST:PORT` or `https://HOST:PORT` (a bare address is https when `tlsByDefault`),
 * with credentials from the environment when both variables are set.
 */
export function daemonTarget(
  spec: string,
  options: { tlsByDefault?: boolean; ca?: string | null; env: (name: string) => string | undefined },
): DaemonTarget {
  const scheme = /^(https?):\/\//.exec(spec)?.[1];
  const user = options.env(CREDENTIAL_VARIABLES.user);
  const password = options.env(CREDENTIAL_VARIABLES.password);
  return {
    address: spec.replace(/^https?:\/\//, '').replace(/\/+$/, ''),
    tls: scheme === undefined ? options.tlsByDefault === true : scheme === 'https',
    ca: options.ca ?? null,
    credentials: user !== undefined && password !== undefined ? { user, password } : null,
  };
}

/** The PEM text of --daemon-ca FILE, or null without the option. */
export function readCaFile(file: string | undefined): string | null {
  if (file === undefined) return null;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--daemon-ca ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

export function describeTarget(target: DaemonTarget): string {
  return `${target.tls ? 'https' : 'http'}://${target.address}`;
}

export async function fetchDaemonStatus(target: DaemonTarget): Promise<DaemonAnswer> {
  const url = `${describeTarget(target)}/status`;
  try {
    const response = await get(target, url);
    if (response.status === 401) {
      const hint =
        target.credentials === null
          ? `: set ${CREDENTIAL_VARIABLES.user} and ${CREDENTIAL_VARIABLES.password}`
          : ': wrong user or password';
      return { reachable: false, reason: `HTTP 401 from ${url}${hint}` };
    }
    if (response.status !== 200) return { reachable: false, reason: `HTTP ${response.status} from ${url}` };
    return { reachable: true, status: JSON.parse(response.body) as DaemonStatus };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    return { reachable: false, reason: `nothing answers at ${describeTarget(target)} (${reason})` };
  }
}

function get(target: DaemonTarget, url: string): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> =
    target.credentials === null
      ? {}
      : {
          authorization: `Basic ${Buffer.from(`${target.credentials.user}:${target.credentials.password}`).toString('base64')}`,
        };
  return new Promise((resolve, reject) => {
    const onResponse = (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_STATUS_BYTES)
          request.destroy(new Error(`/status is larger than ${MAX_STATUS_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    };
    const request = target.tls
      ? httpsRequest(
          url,
          { headers, ...(target.ca === null ? {} : { ca: [...rootCertificates, target.ca] }) },
          onResponse,
        )
      : httpRequest(url, { headers }, onResponse);
    request.setTimeout(REQUEST_TIMEOUT_MS, () =>
      request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    );
    request.on('error', reject);
    request.end();
  });
}
