// The daemon's HTTP surface, on loopback unless configured otherwise: /healthz (the process answers),
// /readyz (the first reconcile finished and no reload is stuck), /status (JSON) and /metrics (Prometheus).
// Everything it serves comes from providers, so the server holds no state of its own.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpProviders {
  /** Null when ready, else the reason (shown to whoever probes /readyz). */
  notReadyReason(): string | null;
  status(): unknown;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface RunningHttpServer {
  /** The address actually bound (the port is chosen by the OS when the config says 0). */
  readonly address: string;
  close(): Promise<void>;
}

/** Splits `host:port` or `[v6]:port`. Throws a message that names the value when it is not one. */
export function parseListenAddress(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) throw new Error(`"${listen}" is not host:port`);
  return { host: match[1] ?? match[2] ?? '', port };
}

export async function startHttpServer(listen: string, providers: HttpProviders): Promise<RunningHttpServer> {
  const { host, port } = parseListenAddress(listen);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, contentType: string, body: string) => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      reply(405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        reply(200, 'text/plain; charset=utf-8', 'ok\n');
        return;
      case '/readyz': {
        const reason = providers.notReadyReason();
        if (reason === null) reply(200, 'text/plain; charset=utf-8', 'ready\n');
        else reply(503, 'text/plain; charset=utf-8', `not ready: ${reason}\n`);
        return;
      }
      case '/status':
        reply(200, 'application/json; charset=utf-8', `${JSON.stringify(providers.status(), null, 2)}\n`);
        return;
      case '/metrics':
        providers.metrics().then(
          ({ contentType, body }) => reply(200, contentType, body),
          (error: unknown) => reply(500, 'text/plain; charset=utf-8', `metrics failed: ${String(error)}\n`),
        );
        return;
      default:
        reply(404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz, /status or /metrics\n');
    }
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
