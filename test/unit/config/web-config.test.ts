import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { parseWebConfigText } from '../../../src/config/web-config.js';
import { compiled, fakeEnvironment, problems } from './helpers.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/http/${name}`, import.meta.url), 'utf8');
const CERT = fixture('localhost.crt');
const KEY = fixture('localhost.key');
const OTHER_KEY = fixture('other.key');
const HASH = '$2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze';
const WEB = '/etc/georep/web/web-config.yml';
const files = {
  '/etc/georep/web/server.crt': CERT,
  '/etc/georep/web/server.key': KEY,
  '/etc/georep/other.key': OTHER_KEY,
};

function check(text: string, extraFiles: Record<string, string> = {}) {
  return parseWebConfigText(text, WEB, fakeEnvironment({ files: { ...files, ...extraFiles } }));
}

function messages(text: string): string[] {
  return check(text).issues.map(
    (issue) =>
      `${issue.line}:${issue.col}: ${issue.severity === 'warning' ? 'warning: ' : ''}${issue.message}`,
  );
}

describe('the web-config file (exporter-toolkit format)', () => {
  test('TLS files resolve against the web-config folder; users map to bcrypt hashes', () => {
    const { config, issues } = check(
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: ${HASH}\n`,
    );
    assert.deepEqual(issues, []);
    assert.equal(config?.file, WEB);
    assert.equal(config?.tls?.cert, CERT);
    assert.equal(config?.tls?.key.reveal(), KEY);
    assert.ok(!inspect(config).includes('PRIVATE KEY'), 'the key never prints');
    assert.deepEqual([...(config?.basicAuthUsers ?? [])], [['prometheus', HASH]]);
  });

  test('an empty file is plain HTTP without auth', () => {
    assert.deepEqual(check('').config, { file: WEB, tls: null, basicAuthUsers: new Map() });
  });

  test('every mistake is reported at its line and column in the web-config file', () => {
    const text = [
      'tls_server_config:',
      '  cert_file: server.crt',
      '  key_file: missing.key',
      '  client_auth_type: RequireAndVerifyClientCert',
      'basic_auth_users:',
      '  alice: not-a-hash',
      `  "bob:x": ${HASH}`,
      'http_server_config: { http2: true }',
    ].join('\n');
    assert.deepEqual(messages(text), [
      '3:13: tls_server_config.key_file: cannot read /etc/georep/web/missing.key: no such file',
      '4:3: tls_server_config.client_auth_type: not supported: georep reads tls_server_config (cert_file, key_file) and basic_auth_users',
      `6:10: basic_auth_users.alice: must be a bcrypt hash ($2y$10$ and 53 characters), e.g. from \`htpasswd -nBC 10 "" | tr -d ':\\n'\``,
      '7:3: basic_auth_users["bob:x"]: a user name must be non-empty and hold no ":"',
      '8:1: http_server_config: not supported: georep reads tls_server_config (cert_file, key_file) and basic_auth_users',
    ]);
    assert.equal(check(text).config, null);
  });

  test('a certificate and a key that are not a pair, a file without PEM, a missing key_file', () => {
    assert.match(
      messages('tls_server_config: { cert_file: server.crt, key_file: ../other.key }').join('\n'),
      /^1:55: tls_server_config\.key_file: the certificate and key cannot be used: .*mismatch/,
    );
    assert.deepEqual(
      check('tls_server_config: { cert_file: plain.txt, key_file: server.key }', {
        '/etc/georep/web/plain.txt': 'hello',
      }).issues.map((issue) => issue.message),
      ['tls_server_config.cert_file: /etc/georep/web/plain.txt holds no PEM text'],
    );
    assert.deepEqual(messages('tls_server_config: { cert_file: server.crt }'), [
      '1:1: tls_server_config: key_file is required',
    ]);
  });

  test('basic auth without TLS is accepted with a warning; YAML errors are positioned', () => {
    const warned = check(`basic_auth_users: { prometheus: "${HASH}" }`);
    assert.ok(warned.config !== null);
    assert.deepEqual(
      warned.issues.map((issue) => issue.message),
      ['basic_auth_users: basic auth without tls_server_config sends the passwords in clear text'],
    );
    assert.deepEqual(messages('a: 1\na: 2\n'), ['2:1: YAML: a key appears twice']);
    assert.deepEqual(messages('- one\n- two\n'), [
      '1:1: top level: must be a mapping; georep reads tls_server_config (cert_file, key_file) and basic_auth_users',
    ]);
  });
});

describe('daemon settings of the HTTP server', () => {
  const base =
    'clusters:\n  a: { bootstrap: [a:9092] }\n  b: { bootstrap: [b:9092] }\nreplications:\n  - { origin: a, destinations: [b], topics: { include: [x] } }\n';

  test('port 0, allowed hosts and a web-config file relative to the config folder', () => {
    const config = compiled(
      `${base}daemon:\n  httpListen: 0.0.0.0:0\n  httpAllowedHosts: [georep-1.example.com]\n  httpWebConfig: web/web-config.yml\n`,
      fakeEnvironment({
        files: { ...files, [WEB]: 'tls_server_config: { cert_file: server.crt, key_file: server.key }\n' },
      }),
    );
    assert.equal(config.daemon.httpListen, '0.0.0.0:0');
    assert.deepEqual(config.daemon.httpAllowedHosts, ['georep-1.example.com']);
    assert.equal(config.daemon.httpWebConfig?.file, WEB);
    assert.equal(config.daemon.httpWebConfig?.tls?.cert, CERT);
  });

  test('positioned errors: a missing web-config file, a bad host name, a bad port, and issues inside the web config', () => {
    assert.deepEqual(
      problems(
        `${base}daemon:\n  httpListen: 127.0.0.1:65536\n  httpAllowedHosts: ["http://x.example"]\n  httpWebConfig: nowhere.yml\n`,
      ),
      [
        '7:15: daemon.httpListen: "127.0.0.1:65536" must be host:port, e.g. 127.0.0.1:9787, 0.0.0.0:9787 or [::1]:0 (port 0-65535; 0 lets the OS choose)',
        '8:22: daemon.httpAllowedHosts[0]: "http://x.example" must be a host name such as georep-1.example.com (no port, no scheme)',
        '9:18: daemon.httpWebConfig: cannot read /etc/georep/nowhere.yml: no such file',
      ],
    );
    assert.deepEqual(problems(`${base}daemon:\n  httpWebConfig: ""\n`), [
      '7:18: daemon.httpWebConfig: must not be empty',
    ]);
    const inside = problems(
      `${base}daemon:\n  httpWebConfig: web/web-config.yml\n`,
      fakeEnvironment({ files: { [WEB]: 'basic_auth_users:\n  alice: nope\n' } }),
    );
    assert.deepEqual(inside, [
      `2:10: basic_auth_users.alice: must be a bcrypt hash ($2y$10$ and 53 characters), e.g. from \`htpasswd -nBC 10 "" | tr -d ':\\n'\``,
    ]);
  });
});
