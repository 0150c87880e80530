import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseListenAddress, startHttpServer } from '../../src/observability/http-server.js';

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

describe('HTTP server', () => {
  test('serves health, readiness, status and metrics from its providers', async (t) => {
    let notReady: string | null = 'first reconcile running';
    const server = await startHttpServer('127.0.0.1:0', {
      notReadyReason: () => notReady,
      status: () => ({ flows: [{ key: 'a/x -> b/x', state: 'running' }] }),
      metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'georep_up 1\n' }),
    });
    t.after(() => server.close());
    const get = (path: string) => fetch(`http://${server.address}${path}`);

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
});
