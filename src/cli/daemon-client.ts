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
  | {
      readonly reachable: false;
      readonly reason: string;
      /**
       * True only when the connection was refused: no daemon runs there. Anything else (an HTTP error, a TLS
       * failure, a timeout, an unknown host, an answer that is not georep's) says nothing of what runs.
       */
      readonly nothingListens: boolean;
    };

/** HOST:PORT as --daemon takes it after its scheme: a name or IP literal ([v6] in brackets) and a port. */
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_]([A-Za-z0-9._-]*[A-Za-z0-9_])?):([0-9]{1,5})$/;

/**
 * `HOST:PORT`, `http://HOST:PORT` or `https://HOST:PORT` (a bare address is https when `tlsByDefault`),
 * with credentials from the environment when both variables are set.
 */
export function daemonTarget(
  spec: string,
  options: { tlsByDefault?: boolean; ca?: string | null; env: (name: string) => string | undefined },
): DaemonTarget {
  const scheme = /^(https?):\/\//.exec(spec)?.[1];
  const address = spec.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const port = Number(ADDRESS.exec(address)?.[3] ?? Number.NaN);
  // Port 0 too: a config may let the OS choose the daemon's port (httpListen), and then nothing answers on 0.
  if (!(port >= 0 && port <= 65535)) {
    throw new UsageError(
      `--daemon ${spec}: not an address; write HOST:PORT, http://HOST:PORT or https://HOST:PORT (no path)`,
    );
  }
  const user = options.env(CREDENTIAL_VARIABLES.user);
  const password = options.env(CREDENTIAL_VARIABLES.password);
  return {
    address,
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
      return { reachable: false, reason: `HTTP 401 from ${url}${hint}`, nothingListens: false };
    }
    if (response.status !== 200)
      return { reachable: false, reason: `HTTP ${response.status} from ${url}`, nothingListens: false };
    const status = parsedStatus(response.body);
    if (status === null)
      return { reachable: false, reason: `${url} is not a georep daemon's /status`, nothingListens: false };
    return { reachable: true, status };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    return {
      reachable: false,
      reason: `nothing answers at ${describeTarget(target)} (${reason})`,
      nothingListens: code === 'ECONNREFUSED',
    };
  }
}

/** The body as a daemon's /status, or null when it is not one (another server answered). */
function parsedStatus(body: string): DaemonStatus | null {
  try {
    const status = JSON.parse(body) as DaemonStatus | null;
    return typeof status === 'object' && status !== null && Array.isArray(status.flows) ? status : null;
  } catch {
    return null;
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
