import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { UsageError } from '../../../src/cli/command.js';
import { daemonTarget, fetchDaemonStatus } from '../../../src/cli/daemon-client.js';
import { Secret } from '../../../src/config/types.js';
import { startHttpServer } from '../../../src/observability/http-server.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/http/${name}`, import.meta.url), 'utf8');
const cert = fixture('localhost.crt');
const noEnv = () => undefined;

describe('daemonTarget', () => {
  test('reads HOST:PORT, http:// and https://; credentials only when both variables are set', () => {
    assert.deepEqual(daemonTarget('127.0.0.1:9787', { env: noEnv }), {
      address: '127.0.0.1:9787',
      tls: false,
      ca: null,
      credentials: null,
    });
    assert.equal(daemonTarget('127.0.0.1:9787', { env: noEnv, tlsByDefault: true }).tls, true);
    assert.equal(daemonTarget('http://127.0.0.1:9787', { env: noEnv, tlsByDefault: true }).tls, false);
    assert.equal(
      daemonTarget('https://georep.example.com:9787/', { env: noEnv }).address,
      'georep.example.com:9787',
    );
    const env = (name: string) => ({ GEOREP_HTTP_USER: 'ops', GEOREP_HTTP_PASSWORD: 'pw' })[name];
    assert.deepEqual(daemonTarget('h:1', { env }).credentials, { user: 'ops', password: 'pw' });
    assert.equal(
      daemonTarget('h:1', { env: (name) => (name === 'GEOREP_HTTP_USER' ? 'ops' : undefined) }).credentials,
      null,
    );
  });

  test('refuses what is not an address, before anything is asked', () => {
    for (const spec of [
      'not an address',
      'http://127.0.0.1:9787/status',
      'ftp://127.0.0.1:9787',
      '127.0.0.1:99999',
      'localhost:abc',
      '127.0.0.1',
    ]) {
      assert.throws(() => daemonTarget(spec, { env: noEnv }), UsageError, spec);
    }
    assert.equal(daemonTarget('[::1]:9787', { env: noEnv }).address, '[::1]:9787');
    assert.equal(daemonTarget('georep_1:9787', { env: noEnv }).address, 'georep_1:9787', 'a container name');
  });
});

describe('fetchDaemonStatus: whether nothing runs there', () => {
  test('a refused connection is nothing running; an answer that is not a georep /status is not', async (t) => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await fetchDaemonStatus(daemonTarget(`127.0.0.1:${port}`, { env: noEnv }));
    assert.equal(refused.reachable ? null : refused.nothingListens, true);

    const other = createServer((_, response) => response.end('{"hello":"world"}'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    t.after(() => other.close());
    const address = `127.0.0.1:${(other.address() as AddressInfo).port}`;
    assert.deepEqual(await fetchDaemonStatus(daemonTarget(address, { env: noEnv })), {
      reachable: false,
      reason: `http://${address}/status is not a georep daemon's /status`,
      nothingListens: false,
    });
  });
});

describe('fetchDaemonStatus against a daemon with TLS and basic auth', () => {
  test('reads /status with the credentials and the CA; says what is missing otherwise', async (t) => {
    const server = await startHttpServer(
      {
        listen: '127.0.0.1:0',
        allowedHosts: [],
        webConfig: {
          file: '/w.yml',
          tls: { cert, key: new Secret(fixture('localhost.key'), 'k') },
          basicAuthUsers: new Map([['ops', bcrypt.hashSync('pw', 4)]]),
        },
      },
      {
        notReadyReason: () => null,
        status: () => ({ flows: [] }),
        metrics: async () => ({ contentType: 'x', body: '' }),
      },
    );
    t.after(() => server.close());
    const env = (name: string) => ({ GEOREP_HTTP_USER: 'ops', GEOREP_HTTP_PASSWORD: 'pw' })[name];
    const url = `https://${server.address}`;
    assert.deepEqual(await fetchDaemonStatus(daemonTarget(url, { ca: cert, env })), {
      reachable: true,
      status: { flows: [] },
    });
    const anonymous = await fetchDaemonStatus(daemonTarget(url, { ca: cert, env: noEnv }));
    assert.deepEqual(anonymous, {
      reachable: false,
      reason: `HTTP 401 from ${url}/status: set GEOREP_HTTP_USER and GEOREP_HTTP_PASSWORD`,
      nothingListens: false,
    });
    const untrusted = await fetchDaemonStatus(daemonTarget(url, { env }));
    assert.equal(untrusted.reachable, false);
    assert.match(untrusted.reachable ? '' : untrusted.reason, /SELF_SIGNED|certificate/i);
  });
});
