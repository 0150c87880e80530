import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { Secret } from '../../src/config/types.js';
import {
  HTTP_LIMITS,
  type HttpProviders,
  type HttpServerSettings,
  needsRebind,
  parseListenAddress,
  startHttpServer,
} from '../../src/observability/http-server.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'http');
const cert = readFileSync(path.join(fixtures, 'localhost.crt'), 'utf8');
const key = readFileSync(path.join(fixtures, 'localhost.key'), 'utf8');

const plain: HttpServerSettings = { listen: '127.0.0.1:0', allowedHosts: [], webConfig: null };

function providers(overrides: Partial<HttpProviders> = {}): HttpProviders {
  return {
    notReadyReason: () => null,
    status: () => ({ flows: [] }),
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'georep_up 1\n' }),
    ...overrides,
  };
}

/** Sends raw bytes and resolves with everything the server wrote before it closed the connection. */
function rawExchange(address: string, text: string): Promise<string> {
  const { host, port } = parseListenAddress(address);
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.end(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function openIdleSocket(address: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const { host, port } = parseListenAddress(address);
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('close', () => resolve({ socket, closed }));
  });
}

describe('parseListenAddress', () => {
  test('accepts host:port and [v6]:port', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:9644'), { host: '127.0.0.1', port: 9644 });
    assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
  });

  test('rejects anything else, naming the value', () => {
    assert.throws(() => parseListenAddress('localhost'), /"localhost" is not host:port/);
    assert.throws(() => parseListenAddress('127.0.0.1:70000'), /is not host:port/);
  });
});

describe('needsRebind', () => {
  test('another address or TLS on/off needs a new server; hosts and users do not', () => {
    const tls = { file: '/w.yml', tls: { cert, key: new Secret(key, 'k') }, basicAuthUsers: new Map() };
    assert.equal(needsRebind(null, plain), true);
    assert.equal(needsRebind({ listen: '127.0.0.1:0', tls: false }, plain), false);
    assert.equal(
      needsRebind({ listen: '127.0.0.1:0', tls: false }, { ...plain, allowedHosts: ['a'] }),
      false,
    );
    assert.equal(needsRebind({ listen: '127.0.0.1:1', tls: false }, plain), true);
    assert.equal(needsRebind({ listen: '127.0.0.1:0', tls: false }, { ...plain, webConfig: tls }), true);
  });
});

describe('HTTP server', () => {
  test('serves health, readiness, status and metrics from its providers, on a port the OS chose', async (t) => {
    let notReady: string | null = 'first reconcile running';
    const server = await startHttpServer(
      plain,
      providers({
        notReadyReason: () => notReady,
        status: () => ({ flows: [{ key: 'a/x -> b/x', state: 'running' }] }),
      }),
    );
    t.after(() => server.close());
    assert.notEqual(parseListenAddress(server.address).port, 0);
    const get = (endpoint: string) => fetch(`http://${server.address}${endpoint}`);

    assert.equal((await get('/healthz')).status, 200);
    const notReadyResponse = await get('/readyz');
    assert.equal(notReadyResponse.status, 503);
    assert.equal(await notReadyResponse.text(), 'not ready: first reconcile running\n');
    notReady = null;
    assert.equal((await get('/readyz')).status, 200);
    assert.deepEqual(await (await get('/status')).json(), {
      flows: [{ key: 'a/x -> b/x', state: 'running' }],
    });
    assert.equal(await (await get('/metrics')).text(), 'georep_up 1\n');
    assert.equal((await get('/nope')).status, 404);
  });

  test('serves the status page at / and /ui: HTML whose policy allows only its own inline script and style, and /status', async (t) => {
    const server = await startHttpServer(plain, providers());
    t.after(() => server.close());
    for (const endpoint of ['/', '/ui', '/?filter=x']) {
      const response = await fetch(`http://${server.address}${endpoint}`);
      assert.equal(response.status, 200, endpoint);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      const policy = response.headers.get('content-security-policy') ?? '';
      assert.match(policy, /default-src 'none'/);
      assert.match(policy, /script-src 'sha256-[A-Za-z0-9+/]+=*';/);
      assert.match(policy, /connect-src 'self'/);
      assert.doesNotMatch(policy, /unsafe|https?:/);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.match(await response.text(), /fetch\('status'/);
    }
    const foreign = await rawExchange(
      server.address,
      'GET / HTTP/1.1\r\nHost: rebind.attacker.example\r\n\r\n',
    );
    assert.match(foreign, /^HTTP\/1\.1 421 /);
    assert.equal((await fetch(`http://${server.address}/ui/`)).status, 404);
  });

  test('refuses a foreign Host, other methods, bodies and oversized headers, and closes the connection', async (t) => {
    const server = await startHttpServer(plain, providers());
    t.after(() => server.close());
    const exchanges: [string, RegExp][] = [
      [
        'GET /status HTTP/1.1\r\nHost: rebind.attacker.example:80\r\n\r\n',
        /^HTTP\/1\.1 421 [\s\S]*daemon\.httpAllowedHosts/,
      ],
      ['GET /status HTTP/1.0\r\n\r\n', /^HTTP\/1\.1 421 [\s\S]*Host header is required/],
      ['GET /status HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 421 [\s\S]*Host header is required/],
      [
        'GET /status HTTP/1.1\r\nHost: localhost\r\nHost: rebind.attacker.example\r\n\r\n',
        /^HTTP\/1\.1 400 [\s\S]*connection: close[\s\S]*one Host header/i,
      ],
      [
        'CONNECT localhost:80 HTTP/1.1\r\nHost: localhost:80\r\n\r\n',
        /^HTTP\/1\.1 405 [\s\S]*allow: GET, HEAD/i,
      ],
      ['POST /status HTTP/1.1\r\nHost: localhost\r\n\r\n', /^HTTP\/1\.1 405 [\s\S]*allow: GET, HEAD/i],
      ['GET /status HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello', /^HTTP\/1\.1 413 /],
      [`GET /status HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
      ['this is not http\r\n\r\n', /^HTTP\/1\.1 400 /],
      [
        'HEAD /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
        /^HTTP\/1\.1 200 (?![\s\S]*\r\n\r\n.)/,
      ],
    ];
    for (const [request, expected] of exchanges) {
      assert.match(await rawExchange(server.address, request), expected, request.slice(0, 40));
    }
  });

  test('computes /status once for a burst of requests', async (t) => {
    let computed = 0;
    const server = await startHttpServer(plain, providers({ status: () => ({ computed: ++computed }) }));
    t.after(() => server.close());
    await Promise.all(
      Array.from({ length: 50 }, () => fetch(`http://${server.address}/status`).then((r) => r.text())),
    );
    assert.ok(computed <= 3, `computed ${computed} times`);
    const computedInBurst = computed;
    await sleep(HTTP_LIMITS.responseCacheMs + 50);
    const fresh = (await (await fetch(`http://${server.address}/status`)).json()) as { computed: number };
    assert.equal(fresh.computed, computedInBurst + 1);
  });

  test('a change the daemon announces (a reload) is served at once, not a body cached a moment before', async (t) => {
    let reload = 'ok';
    const server = await startHttpServer(plain, providers({ status: () => ({ reload }) }));
    t.after(() => server.close());
    const read = async () =>
      (await (await fetch(`http://${server.address}/status`)).json()) as { reload: string };
    assert.equal((await read()).reload, 'ok');
    reload = 'rejected';
    assert.equal((await read()).reload, 'ok', 'within the cache time, the cached body');
    server.forgetResponses();
    assert.equal((await read()).reload, 'rejected');
  });

  test(`closes connections beyond ${HTTP_LIMITS.maxConnections} at once, and silent ones after a few seconds`, async (t) => {
    const server = await startHttpServer(plain, providers());
    t.after(() => server.close());
    const sockets = await Promise.all(Array.from({ length: 200 }, () => openIdleSocket(server.address)));
    t.after(() => {
      for (const { socket } of sockets) socket.destroy();
    });
    await sleep(500);
    const closedSoon = sockets.filter(
      ({ socket }) => socket.destroyed || socket.readyState === 'closed',
    ).length;
    assert.ok(closedSoon >= 200 - HTTP_LIMITS.maxConnections, `${closedSoon} of 200 closed`);
    // The rest are closed once idle for a while, not held forever.
    await Promise.race([
      Promise.all(sockets.map(({ closed }) => closed)),
      sleep(HTTP_LIMITS.headersTimeoutMs * 4).then(() => assert.fail('idle connections still open')),
    ]);
    assert.equal((await fetch(`http://${server.address}/healthz`)).status, 200);
  });

  test('a request whose headers trickle in is cut off by the header timeout', async (t) => {
    const server = await startHttpServer(plain, providers());
    t.after(() => server.close());
    const { socket, closed } = await openIdleSocket(server.address);
    const started = Date.now();
    socket.write('GET /status HTTP/1.1\r\nHost: localhost\r\n');
    const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 200);
    t.after(() => clearInterval(trickle));
    await closed;
    clearInterval(trickle);
    assert.ok(Date.now() - started < HTTP_LIMITS.headersTimeoutMs * 4, 'closed within a few header timeouts');
  });

  test('TLS and basic auth from a web config: the right password is served, others get 401', async (t) => {
    const hash = bcrypt.hashSync('s3cret', 4);
    const settings: HttpServerSettings = {
      ...plain,
      webConfig: {
        file: '/w.yml',
        tls: { cert, key: new Secret(key, 'k') },
        basicAuthUsers: new Map([['prom', hash]]),
      },
    };
    const server = await startHttpServer(settings, providers());
    t.after(() => server.close());
    assert.equal(server.tls, true);
    const get = (authorization?: string, endpoint = '/status') =>
      new Promise<{ status: number; body: string; challenge: string | undefined }>((resolve, reject) => {
        const { port } = parseListenAddress(server.address);
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            path: endpoint,
            ca: cert,
            headers: authorization ? { authorization } : {},
          },
          (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              body += chunk;
            });
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 0,
                body,
                challenge: response.headers['www-authenticate'],
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const right = await get(basic('prom', 's3cret'));
    assert.equal(right.status, 200);
    assert.deepEqual(JSON.parse(right.body), { flows: [] });
    assert.equal((await get(basic('prom', 's3cret'))).status, 200);
    const none = await get();
    assert.equal(none.status, 401);
    assert.equal(none.challenge, 'Basic realm="georep"');
    assert.equal((await get(basic('prom', 'wrong'))).status, 401);
    assert.equal((await get(basic('someone', 's3cret'))).status, 401);
    assert.equal((await get(undefined, '/')).status, 401, 'the status page needs credentials too');
    assert.match((await get(basic('prom', 's3cret'), '/')).body, /<title>georep status<\/title>/);
    await assert.rejects(fetch(`http://${server.address}/status`));
  });
});
