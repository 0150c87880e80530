// The harness's WAN proxy on loopback, against a plain TCP server: it passes bytes unchanged and in order,
// adds its one-way delays to a round trip, and carries no more than its bandwidth. Timings are asserted as
// lower bounds, with generous upper bounds only: this machine is shared.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WanProxy, wanShape } from '../../harness/wan-proxy.js';

/** A server that sends back whatever it gets. */
let echo: Server;
let echoPort: number;

before(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  echo.listen({ host: '127.0.0.1', port: 0 });
  await once(echo, 'listening');
  echoPort = (echo.address() as { port: number }).port;
});
after(() => echo.close());

async function connectTo(port: number): Promise<Socket> {
  const socket = tcpConnect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  return socket;
}

/** Sends `bytes` and resolves once `expectedBytes` came back, with them and the time it took. */
async function exchange(
  socket: Socket,
  bytes: Buffer,
  expectedBytes = bytes.length,
): Promise<{ received: Buffer; ms: number }> {
  const startedAt = performance.now();
  const chunks: Buffer[] = [];
  let length = 0;
  const done = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= expectedBytes) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  socket.write(bytes);
  await done;
  return { received: Buffer.concat(chunks), ms: performance.now() - startedAt };
}

async function withProxy<T>(
  shape: Parameters<typeof WanProxy.start>[0]['shape'],
  use: (proxy: WanProxy) => Promise<T>,
): Promise<T> {
  const proxy = await WanProxy.start({ target: { host: '127.0.0.1', port: echoPort }, shape });
  try {
    return await use(proxy);
  } finally {
    await proxy.close();
  }
}

describe('the WAN proxy', () => {
  test('passes bytes unchanged and in order, written in chunks of every size', async () => {
    await withProxy(wanShape(20, 50 * 1024 * 1024), async (proxy) => {
      const socket = await connectTo(proxy.port);
      const sent = randomBytes(3 * 1024 * 1024);
      const received: Buffer[] = [];
      let receivedBytes = 0;
      const allBack = new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          received.push(chunk);
          receivedBytes += chunk.length;
          if (receivedBytes >= sent.length) resolve();
        });
      });
      for (let at = 0, size = 1; at < sent.length; at += size, size = (size * 7 + 13) % 100_000) {
        socket.write(sent.subarray(at, at + size));
      }
      await allBack;
      assert.ok(Buffer.concat(received).equals(sent), 'the echo equals what was sent');
      assert.equal(proxy.bytes.toServer, sent.length);
      assert.equal(proxy.bytes.toClient, sent.length);
      socket.destroy();
    });
  });

  test('adds its two one-way delays to a round trip', async () => {
    const direct = await connectTo(echoPort);
    const directMs = (await exchange(direct, Buffer.from('ping'))).ms;
    direct.destroy();
    await withProxy(
      { toServer: { delayMs: 30, bytesPerSecond: null }, toClient: { delayMs: 70, bytesPerSecond: null } },
      async (proxy) => {
        const socket = await connectTo(proxy.port);
        const roundTrips: number[] = [];
        for (let index = 0; index < 5; index++) {
          const { received, ms } = await exchange(socket, Buffer.from(`ping ${index}`));
          assert.equal(received.toString(), `ping ${index}`);
          roundTrips.push(ms);
        }
        socket.destroy();
        const fastest = Math.min(...roundTrips);
        assert.ok(fastest >= 99, `round trip through the proxy: ${fastest} ms, at least 100 expected`);
        assert.ok(fastest < 100 + directMs + 1000, `round trip through the proxy: ${fastest} ms`);
      },
    );
  });

  test('carries no more than its bandwidth, shared by its connections', async () => {
    const bytesPerSecond = 2 * 1024 * 1024;
    await withProxy(
      { toServer: { delayMs: 0, bytesPerSecond }, toClient: { delayMs: 0, bytesPerSecond: null } },
      async (proxy) => {
        const sockets = await Promise.all([connectTo(proxy.port), connectTo(proxy.port)]);
        const payload = randomBytes(512 * 1024);
        const results = await Promise.all(sockets.map((socket) => exchange(socket, payload)));
        for (const socket of sockets) socket.destroy();
        // 1 MiB over both connections at 2 MiB/s: half a second at least.
        const slowest = Math.max(...results.map((result) => result.ms));
        assert.ok(slowest >= 490, `1 MiB took ${slowest} ms at 2 MiB/s`);
        for (const result of results) assert.ok(result.received.equals(payload));
      },
    );
  });

  test('a new shape applies to what comes next, and a shorter delay never reorders the stream', async () => {
    await withProxy(wanShape(200), async (proxy) => {
      const socket = await connectTo(proxy.port);
      const startedAt = performance.now();
      const echoed = exchange(socket, Buffer.from('slow-'), 'slow-fast'.length);
      // 'slow-' is in the proxy now, due at the server 100 ms after it came; 'fast' comes without delay.
      await sleep(30);
      proxy.setShape(wanShape(0));
      socket.write('fast');
      const { received, ms } = await echoed;
      assert.equal(received.toString(), 'slow-fast');
      assert.ok(ms >= 99, `the first chunk kept its delay: ${ms} ms`);
      assert.ok(performance.now() - startedAt >= 99);
      socket.destroy();
    });
  });

  test('reports how late its own busy event loop passed chunks on', async () => {
    await withProxy(wanShape(400), async (proxy) => {
      const socket = await connectTo(proxy.port);
      const reply = exchange(socket, Buffer.from('late'));
      // Once the proxy holds the chunk (due 200 ms later), this process is busy for 300 ms.
      while (proxy.heldBytes === 0) await sleep(1);
      const busyUntil = performance.now() + 300;
      while (performance.now() < busyUntil);
      await reply;
      const late = proxy.lateness();
      assert.equal(late.chunks, 2);
      assert.ok(late.maxMs >= 90, `max ${late.maxMs} ms late`);
      assert.equal(proxy.lateness({ reset: true }).chunks, 2);
      assert.equal(proxy.lateness().chunks, 0);
      socket.destroy();
    });
  });
});
