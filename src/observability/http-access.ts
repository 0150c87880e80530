// What the status listener accepts, as plain functions over a request's method, path and headers: the
// Host header (DNS rebinding), the method, a body, the path. The server answers a refused request with
// the status and the short reason given here, and never reads a body.
import { isIP } from 'node:net';

export const KNOWN_PATHS = ['/healthz', '/readyz', '/status', '/metrics', '/', '/ui'] as const;
export type KnownPath = (typeof KNOWN_PATHS)[number];

export interface RequestHead {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly host: string | undefined;
  /** How many Host headers the request has: Node keeps the first, and a second may name another host. */
  readonly hostHeaders: number;
  readonly contentLength: string | undefined;
  readonly transferEncoding: string | undefined;
}

export type RequestVerdict =
  | { readonly ok: true; readonly path: KnownPath }
  | { readonly ok: false; readonly status: number; readonly reason: string };

const LOOPBACK_NAMES = new Set(['localhost']);
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

/**
 * The host names a Host header may carry, besides IP literals and `localhost` (always accepted): the host
 * of the listen address when it is a name, and the operator's list. Lower case, without port or final dot.
 */
export function allowedHostNames(listenHost: string, configured: readonly string[]): ReadonlySet<string> {
  const names = new Set(configured.map(normalizeHostName));
  const listen = normalizeHostName(listenHost);
  if (!WILDCARD_ADDRESSES.has(listen) && isIP(listen) === 0) names.add(listen);
  return names;
}

/**
 * The host part of a Host header (`name`, `name:port`, `1.2.3.4:port`, `[v6]:port`), normalized; null
 * when it is not one of those forms.
 */
export function hostOfHeader(header: string): string | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s/@]+))(?::\d{1,5})?$/.exec(header.trim());
  if (match === null) return null;
  return normalizeHostName(match[1] ?? match[2] ?? '');
}

function normalizeHostName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/**
 * A web page can make a browser send requests to the listener under a name of the attacker's that
 * resolves to this host (DNS rebinding); the Host header still carries that name. IP literals and
 * `localhost` cannot be such a name, so they are accepted; any other name must be listed.
 */
export function isAllowedHost(header: string | undefined, allowedNames: ReadonlySet<string>): boolean {
  if (header === undefined) return false;
  const host = hostOfHeader(header);
  if (host === null) return false;
  return isIP(host) !== 0 || LOOPBACK_NAMES.has(host) || allowedNames.has(host);
}

/** True for addresses only this host can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const normalized = normalizeHostName(host.replace(/^\[|\]$/g, ''));
  return LOOPBACK_NAMES.has(normalized) || normalized === '::1' || /^127\.\d+\.\d+\.\d+$/.test(normalized);
}

/**
 * What to log about who can reach the listener bound at `address`: nothing on loopback; beyond it, a
 * warning unless TLS and basic auth are both on (then a note).
 */
export function exposureNotice(
  address: string,
  tls: boolean,
  basicAuth: boolean,
): { level: 'warn' | 'info'; message: string } | null {
  const host = address.replace(/:\d+$/, '');
  if (isLoopbackHost(host)) return null;
  if (tls && basicAuth) {
    return {
      level: 'info',
      message: `the HTTP server listens beyond loopback (${address}), with TLS and basic auth`,
    };
  }
  return {
    level: 'warn',
    message:
      `the HTTP server listens beyond loopback (${address}): anyone who can reach it reads /status and /metrics` +
      `${tls ? ' (TLS, no basic auth)' : ''}; set daemon.httpWebConfig for TLS and basic auth (docs/http.md)`,
  };
}

/** Decides, from the request's head alone, whether it is served and which endpoint answers it. */
export function checkRequest(head: RequestHead, allowedNames: ReadonlySet<string>): RequestVerdict {
  if (head.hostHeaders > 1) return { ok: false, status: 400, reason: 'one Host header, not several\n' };
  if (!isAllowedHost(head.host, allowedNames)) {
    return {
      ok: false,
      status: 421,
      reason:
        head.host === undefined
          ? 'a Host header is required\n'
          : 'this Host is not served here: list it in daemon.httpAllowedHosts\n',
    };
  }
  if (head.method !== 'GET' && head.method !== 'HEAD') {
    return { ok: false, status: 405, reason: 'only GET and HEAD are served\n' };
  }
  const hasBody =
    head.transferEncoding !== undefined || (head.contentLength !== undefined && head.contentLength !== '0');
  if (hasBody) return { ok: false, status: 413, reason: 'a request body is not accepted\n' };
  const path = (head.url ?? '/').split('?')[0] ?? '/';
  if (!(KNOWN_PATHS as readonly string[]).includes(path)) {
    return {
      ok: false,
      status: 404,
      reason: 'not found: try /healthz, /readyz, /status, /metrics or / (the status page)\n',
    };
  }
  return { ok: true, path: path as KnownPath };
}

/** The user and password of an `Authorization: Basic …` header, or null when it is not one. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '');
  if (match === null) return null;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
