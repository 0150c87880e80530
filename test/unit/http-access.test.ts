import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  allowedHostNames,
  checkRequest,
  exposureNotice,
  hostOfHeader,
  isAllowedHost,
  isLoopbackHost,
  parseBasicAuth,
  type RequestHead,
} from '../../src/observability/http-access.js';

describe('the Host header (DNS rebinding)', () => {
  const names = allowedHostNames('georep-1.example.com', ['Metrics.Example.COM.']);

  test('reads name, name:port, IPv4:port and [IPv6]:port; refuses anything else', () => {
    const cases: [string, string | null][] = [
      ['localhost', 'localhost'],
      ['LocalHost:9787', 'localhost'],
      ['10.0.0.5:9787', '10.0.0.5'],
      ['[::1]:9787', '::1'],
      ['example.com.', 'example.com'],
      ['user@example.com', null],
      ['a b', null],
      ['[zz]:1', null],
      ['', null],
    ];
    for (const [header, host] of cases) assert.equal(hostOfHeader(header), host, header);
  });

  test('accepts IP literals, localhost, the listen host and listed names; refuses other names', () => {
    const cases: [string | undefined, boolean][] = [
      ['127.0.0.1:9787', true],
      ['[::1]:9787', true],
      ['192.168.1.20:9787', true],
      ['localhost:9787', true],
      ['georep-1.example.com:9787', true],
      ['metrics.example.com', true],
      ['attacker.example:9787', false],
      ['localhost.attacker.example', false],
      [undefined, false],
    ];
    for (const [header, allowed] of cases)
      assert.equal(isAllowedHost(header, names), allowed, String(header));
  });

  test('a wildcard or IP listen address adds no name', () => {
    assert.deepEqual([...allowedHostNames('0.0.0.0', [])], []);
    assert.deepEqual([...allowedHostNames('::', [])], []);
    assert.deepEqual([...allowedHostNames('10.0.0.5', ['a.example'])], ['a.example']);
  });

  test('binding beyond loopback is a warning unless TLS and basic auth are on', () => {
    assert.equal(exposureNotice('127.0.0.1:9787', false, false), null);
    assert.equal(exposureNotice('[::1]:9787', false, false), null);
    for (const address of ['0.0.0.0:9787', '[::]:9787', '10.0.0.5:9787']) {
      assert.equal(exposureNotice(address, false, false)?.level, 'warn', address);
      assert.match(exposureNotice(address, false, false)?.message ?? '', /daemon\.httpWebConfig/);
    }
    assert.equal(exposureNotice('0.0.0.0:9787', true, false)?.level, 'warn');
    assert.equal(exposureNotice('0.0.0.0:9787', false, true)?.level, 'warn');
    assert.equal(exposureNotice('0.0.0.0:9787', true, true)?.level, 'info');
  });

  test('loopback is 127.0.0.0/8, ::1 and localhost', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
      assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'georep.example.com'])
      assert.ok(!isLoopbackHost(host), host);
  });
});

describe('checkRequest', () => {
  const head = (overrides: Partial<RequestHead>): RequestHead => ({
    method: 'GET',
    url: '/status',
    host: '127.0.0.1:9787',
    hostHeaders: 1,
    contentLength: undefined,
    transferEncoding: undefined,
    ...overrides,
  });
  const names = allowedHostNames('127.0.0.1', []);

  test('serves GET and HEAD of the four paths and the status page, a query string ignored', () => {
    for (const path of ['/healthz', '/readyz', '/status', '/metrics', '/', '/ui']) {
      assert.deepEqual(checkRequest(head({ url: `${path}?x=1` }), names), { ok: true, path });
      assert.deepEqual(checkRequest(head({ method: 'HEAD', url: path }), names), { ok: true, path });
    }
  });

  test('refuses, with a status and a short reason: foreign Host, other methods, bodies, other paths', () => {
    const cases: [Partial<RequestHead>, number, RegExp][] = [
      [{ host: 'rebind.attacker.example:9787' }, 421, /daemon\.httpAllowedHosts/],
      [{ host: undefined, hostHeaders: 0 }, 421, /Host header is required/],
      [{ hostHeaders: 2 }, 400, /one Host header/],
      [{ method: 'POST' }, 405, /only GET and HEAD/],
      [{ method: 'OPTIONS' }, 405, /only GET and HEAD/],
      [{ contentLength: '5' }, 413, /body is not accepted/],
      [{ transferEncoding: 'chunked' }, 413, /body is not accepted/],
      [{ url: '/admin' }, 404, /try \/healthz/],
      [{ url: '/status/../metrics' }, 404, /try \/healthz/],
      [{ url: '/ui/' }, 404, /or \/ \(the status page\)/],
    ];
    for (const [overrides, status, reason] of cases) {
      const verdict = checkRequest(head(overrides), names);
      assert.equal(verdict.ok, false, JSON.stringify(overrides));
      if (verdict.ok) continue;
      assert.equal(verdict.status, status, JSON.stringify(overrides));
      assert.match(verdict.reason, reason);
      assert.ok(verdict.reason.length < 80);
    }
  });

  test('an empty body (Content-Length: 0) is no body', () => {
    assert.equal(checkRequest(head({ contentLength: '0' }), names).ok, true);
  });
});

describe('parseBasicAuth', () => {
  const header = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

  test('splits at the first colon; the password may hold colons', () => {
    assert.deepEqual(parseBasicAuth(header('prometheus:a:b')), { user: 'prometheus', password: 'a:b' });
    assert.deepEqual(parseBasicAuth(header(':')), { user: '', password: '' });
  });

  test('anything else is no credentials', () => {
    for (const value of [undefined, '', 'Bearer abc', 'Basic', 'Basic !!!', header('no-colon')]) {
      assert.equal(parseBasicAuth(value), null, String(value));
    }
  });
});
