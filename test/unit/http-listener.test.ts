import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { Secret } from '../../src/config/types.js';
import { HttpListener } from '../../src/observability/http-listener.js';
import type { HttpServerSettings } from '../../src/observability/http-server.js';
import { createLogger } from '../../src/observability/logger.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/http/${name}`, import.meta.url), 'utf8');
const providers = {
  notReadyReason: () => null,
  status: () => ({ flows: [] }),
  metrics: async () => ({ contentType: 'text/plain', body: '' }),
};

interface LogLine {
  level: string;
  msg: string;
  statusPage?: string;
}

function listenerWithLog(): { listener: HttpListener; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as LogLine);
      done();
    },
  });
  return { listener: new HttpListener(providers, createLogger('info', sink)), lines };
}

const plain: HttpServerSettings = { listen: '127.0.0.1:0', allowedHosts: [], webConfig: null };
const tls: HttpServerSettings = {
  ...plain,
  webConfig: {
    file: '/w.yml',
    tls: { cert: fixture('localhost.crt'), key: new Secret(fixture('localhost.key'), 'k') },
    basicAuthUsers: new Map(),
  },
};

describe('HttpListener across reloads', () => {
  test('the same address keeps its server; TLS turned on rebinds; a bad address leaves the running one serving', async (t) => {
    const { listener, lines } = listenerWithLog();
    t.after(() => listener.close());
    assert.equal(await listener.apply(plain), null);
    const first = listener.address;
    assert.equal((await fetch(`http://${first}/healthz`)).status, 200);

    assert.equal(await listener.apply({ ...plain, allowedHosts: ['georep.test'] }), null);
    assert.equal(listener.address, first, 'not rebound for a new list of hosts');

    assert.equal(await listener.apply(tls), null);
    const second = listener.address;
    await assert.rejects(fetch(`http://${second}/healthz`), 'now HTTPS');

    const problem = await listener.apply({ ...tls, listen: '203.0.113.1:1' });
    assert.match(problem ?? '', /^daemon\.httpListen: cannot listen on 203\.0\.113\.1:1: /);
    assert.ok(listener.address !== null);
    const serving = lines.filter((line) => line.msg === 'serving /healthz, /readyz, /status and /metrics');
    assert.deepEqual(
      serving.map((line) => line.statusPage),
      [`http://${first}/`, `https://${second}/`],
      'where to open the status page',
    );
    assert.ok(
      lines.every((line) => line.level === 'info'),
      'loopback: no warning',
    );
  });
});
