// The daemon's HTTP surface, on loopback unless configured otherwise: /healthz (the process answers),
// /readyz (the first reconcile finished and no reload is stuck), /status (JSON), /metrics (Prometheus), and
// the status page at / and /ui (status-page.ts), which reads /status from the browser.
// Everything it serves comes from providers, so the server holds no state of its own but a short cache.
//
// It shares the event loop with the flows, so whatever reaches it is bounded: connections, header size and
// time, request time, idle keep-alive, requests per connection; only GET and HEAD of the known paths, with
// no body, under an accepted Host (http-access.ts); /status and /metrics are computed at most once per
// `responseCacheMs` however many ask. Optional TLS and basic auth come from the web-config file.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpWebConfig } from '../config/types.js';
import { allowedHostNames, checkRequest, type KnownPath } from './http-access.js';
import { BasicAuthenticator } from './http-auth.js';
import { statusPage } from './status-page.js';

export interface HttpProviders {
  /** Null when ready, else the reason (shown to whoever probes /readyz). */
  notReadyReason(): string | null;
  status(): unknown;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface HttpServerSettings {
  /** host:port; port 0 lets the OS choose. */
  readonly listen: string;
  /** Host names accepted in the Host header besides IP literals, localhost and the listen host. */
  readonly allowedHosts: readonly string[];
  readonly webConfig: HttpWebConfig | null;
}

export interface RunningHttpServer {
  /** The address actually bound (the port is chosen by the OS when the config says 0). */
  readonly address: string;
  readonly tls: boolean;
  /**
   * Puts new allowed hosts, users and certificate in force without rebinding. Only for settings with the
   * same listen address and the same TLS on/off (see `needsRebind`).
   */
  update(settings: HttpServerSettings): void;
  /**
   * Drops the cached /status and /metrics bodies, so that whoever asks next sees a change that just happened
   * (a reload's outcome) instead of a body computed a moment before it.
   */
  forgetResponses(): void;
  close(): Promise<void>;
}

export const HTTP_LIMITS = {
  maxConnections: 64,
  maxHeaderBytes: 8 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 3_000,
  /**
   * A connection silent this long is closed. Below the header timeout on purpose: Node's header timeout
   * does not close a connection that never sent a byte, and once it has passed, no socket timeout fires.
   */
  idleSocketTimeoutMs: 4_000,
  maxRequestsPerSocket: 100,
  tlsHandshakeTimeoutMs: 5_000,
  /** How often Node checks the header and request timeouts (its default is 30 s). */
  timeoutCheckIntervalMs: 1_000,
  responseCacheMs: 250,
} as const;

/** Splits `host:port` or `[v6]:port`. Throws a message that names the value when it is not one. */
export function parseListenAddress(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) throw new Error(`"${listen}" is not host:port`);
  return { host: match[1] ?? match[2] ?? '', port };
}

/** True when going from `running` to `next` needs a new server: another address, or TLS turned on or off. */
export function needsRebind(
  running: { listen: string; tls: boolean } | null,
  next: HttpServerSettings,
): boolean {
  return running === null || running.listen !== next.listen || running.tls !== (next.webConfig?.tls != null);
}

interface Access {
  allowedNames: ReadonlySet<string>;
  authenticator: BasicAuthenticator | null;
}

function accessOf(settings: HttpServerSettings, listenHost: string): Access {
  const users = settings.webConfig?.basicAuthUsers;
  return {
    allowedNames: allowedHostNames(listenHost, settings.allowedHosts),
    authenticator: users !== undefined && users.size > 0 ? new BasicAuthenticator(users) : null,
  };
}

/** A value computed at most once per `ttlMs`; callers meanwhile share the computation under way. */
function cachedFor<T>(ttlMs: number, compute: () => Promise<T>): { (): Promise<T>; forget(): void } {
  let cached: { promise: Promise<T>; atMs: number } | null = null;
  const get = () => {
    const now = Date.now();
    if (cached === null || now - cached.atMs >= ttlMs) {
      const promise = compute();
      cached = { promise, atMs: now };
      promise.catch(() => {
        if (cached?.promise === promise) cached = null;
      });
    }
    return cached.promise;
  };
  return Object.assign(get, {
    forget: () => {
      cached = null;
    },
  });
}

const TEXT = 'text/plain; charset=utf-8';

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export async function startHttpServer(
  settings: HttpServerSettings,
  providers: HttpProviders,
): Promise<RunningHttpServer> {
  const { host, port } = parseListenAddress(settings.listen);
  let access = accessOf(settings, host);
  const statusBody = cachedFor(HTTP_LIMITS.responseCacheMs, async () => ({
    contentType: 'application/json; charset=utf-8',
    // compact: at 10,000 flows, indenting made the body 60% bigger and a third slower to build (`jq` indents it)
    body: `${JSON.stringify(providers.status())}\n`,
  }));
  const metricsBody = cachedFor(HTTP_LIMITS.responseCacheMs, () => providers.metrics());

  const serve = async (path: KnownPath): Promise<Answer> => {
    switch (path) {
      case '/':
      case '/ui': {
        const { body, headers } = statusPage();
        return { status: 200, contentType: headers['content-type'] ?? TEXT, body, headers };
      }
      case '/healthz':
        return { status: 200, contentType: TEXT, body: 'ok\n' };
      case '/readyz': {
        const reason = providers.notReadyReason();
        return reason === null
          ? { status: 200, contentType: TEXT, body: 'ready\n' }
          : { status: 503, contentType: TEXT, body: `not ready: ${reason}\n` };
      }
      case '/status':
        return { status: 200, ...(await statusBody()) };
      case '/metrics':
        return { status: 200, ...(await metricsBody()) };
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const reply = (status: number, contentType: string, body: string, extra: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...extra });
      response.end(body);
    };
    const verdict = checkRequest(
      {
        method: request.method,
        url: request.url,
        host: request.headers.host,
        hostHeaders: countHostHeaders(request.rawHeaders),
        contentLength: request.headers['content-length'],
        transferEncoding: request.headers['transfer-encoding'],
      },
      access.allowedNames,
    );
    if (!verdict.ok) {
      // The body, if any, is never read: the connection closes after the answer.
      reply(verdict.status, TEXT, verdict.reason, {
        connection: 'close',
        ...(verdict.status === 405 ? { allow: 'GET, HEAD' } : {}),
      });
      return;
    }
    if (access.authenticator !== null) {
      const outcome = await access.authenticator.check(request.headers.authorization);
      if (outcome === 'busy') {
        reply(429, TEXT, 'too many password checks: retry in a second\n', {
          'retry-after': '1',
          connection: 'close',
        });
        return;
      }
      if (outcome === 'denied') {
        reply(401, TEXT, 'unauthorized\n', {
          'www-authenticate': 'Basic realm="georep"',
          connection: 'close',
        });
        return;
      }
    }
    try {
      const answer = await serve(verdict.path);
      reply(answer.status, answer.contentType, answer.body, answer.headers);
    } catch (error) {
      reply(500, TEXT, `${verdict.path} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  };

  const options = {
    // A request without Host gets checkRequest's 421 and its reason, not Node's bare 400.
    requireHostHeader: false,
    maxHeaderSize: HTTP_LIMITS.maxHeaderBytes,
    headersTimeout: HTTP_LIMITS.headersTimeoutMs,
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
    connectionsCheckingInterval: HTTP_LIMITS.timeoutCheckIntervalMs,
  };
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response);
  };
  const tls = settings.webConfig?.tls ?? null;
  const server: Server | HttpsServer =
    tls === null
      ? createHttpServer(options, listener)
      : createHttpsServer(
          {
            ...options,
            cert: tls.cert,
            key: tls.key.reveal(),
            handshakeTimeout: HTTP_LIMITS.tlsHandshakeTimeoutMs,
          },
          listener,
        );
  // Connections beyond this are closed as soon as they are accepted.
  server.maxConnections = HTTP_LIMITS.maxConnections;
  server.maxRequestsPerSocket = HTTP_LIMITS.maxRequestsPerSocket;
  server.on('connection', (socket: Socket) => {
    socket.setTimeout(HTTP_LIMITS.idleSocketTimeoutMs, () => socket.destroy());
  });
  // CONNECT never reaches the request handler: without this, Node closes the socket without an answer.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    const body = 'only GET and HEAD are served\n';
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD\r\ncontent-type: ${TEXT}\r\n` +
        `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const boundHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: `${boundHost}:${bound.port}`,
    tls: tls !== null,
    update(next: HttpServerSettings) {
      access = accessOf(next, host);
      const nextTls = next.webConfig?.tls;
      if (nextTls != null && 'setSecureContext' in server) {
        server.setSecureContext({ cert: nextTls.cert, key: nextTls.key.reveal() });
      }
    },
    forgetResponses() {
      statusBody.forget();
      metricsBody.forget();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Host headers among a request's raw headers (names at even indices, any case). */
function countHostHeaders(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    if (rawHeaders[index]!.toLowerCase() === 'host') count += 1;
  }
  return count;
}
