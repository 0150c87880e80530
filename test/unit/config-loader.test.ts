// The daemon loads its file in a worker thread (runtime/config-loader.ts): the result must be exactly what
// loadConfigFile — the function behind `georep validate` and `georep plan` — gives on the calling thread,
// secrets and their references included, frozen as the loader freezes it, and the same file:line:col
// errors. Real files in a temporary directory.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatIssue } from '../../src/config/issues.js';
import { type FileLoadResult, loadConfigFile } from '../../src/config/load.js';
import { envNamesReferencedIn } from '../../src/config/secrets.js';
import { loadConfigFileInWorker } from '../../src/runtime/config-loader.js';

const directory = mkdtempSync(join(tmpdir(), 'georep-config-loader-'));
after(() => rmSync(directory, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(directory, name);
  writeFileSync(file, text);
  return file;
}

const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n';
const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

function clusters(password: string): string {
  write('client.key', PEM_KEY);
  write('client.pem', PEM_CERTIFICATE);
  return `clusters:
  london:
    bootstrap: [kafka-lon-1:9093]
    tls: { cert: client.pem, key: client.key }
    sasl: { mechanism: scram-sha-512, username: georep, password: ${password} }
  paris: { bootstrap: [kafka-par-1:9092] }
`;
}

/** Both loads, with an environment that records which variables each asked for. */
async function bothLoads(file: string, variables: Record<string, string>) {
  const askedInWorker: string[] = [];
  const inWorker = await loadConfigFileInWorker(file, {
    env: (name) => {
      askedInWorker.push(name);
      return variables[name];
    },
  });
  const direct = loadConfigFile(file, { env: (name) => variables[name] });
  return { inWorker, direct, askedInWorker };
}

function config(result: FileLoadResult) {
  assert.ok(result.ok, JSON.stringify(result));
  return result.config;
}

test('a valid file loads in the worker as it loads directly: secrets, Maps, warnings, and frozen', async () => {
  const file = write(
    'valid.yaml',
    `${clusters('"${env:LONDON_PASSWORD}"')}replications:
  - { origin: london, destinations: [paris], topics: { include: [orders, "payments.*", "/audit-[0-9]+/"] } }
  - { origin: paris, destinations: [london], naming: identity, loopPrevention: header, topics: { include: [invoices] } }
`,
  );
  const { inWorker, direct, askedInWorker } = await bothLoads(file, { LONDON_PASSWORD: 's3cret' });
  assert.deepEqual(inWorker, direct);
  const london = config(inWorker).clusters.get('london');
  assert.equal(london?.sasl?.password.reveal(), 's3cret');
  assert.equal(london?.sasl?.password.reference, '${env:LONDON_PASSWORD}');
  assert.equal(london?.tls?.key?.reveal(), PEM_KEY);
  assert.equal(String(london?.sasl?.password), '[secret]');
  assert.deepEqual(askedInWorker, ['LONDON_PASSWORD']);
  const loaded = config(inWorker);
  assert.ok(Object.isFrozen(loaded.replications[0]?.topics.include[2]));
  assert.throws(() => (loaded.clusters as Map<string, unknown>).delete('london'), /read-only/);
});

test('a variable referenced with YAML escapes, which the worker cannot see in the text, is still asked for', async () => {
  const file = write(
    'escaped.yaml',
    `${clusters('"\\x24{env:LONDON_PASSWORD}"')}replications:\n  - { origin: london, destinations: [paris], topics: { include: [orders] } }\n`,
  );
  const { inWorker, direct, askedInWorker } = await bothLoads(file, { LONDON_PASSWORD: 'escaped' });
  assert.deepEqual(inWorker, direct);
  assert.equal(config(inWorker).clusters.get('london')?.sasl?.password.reveal(), 'escaped');
  assert.deepEqual(askedInWorker, ['LONDON_PASSWORD']);
});

test('an invalid file is refused with the same file:line:col issues', async () => {
  const file = write(
    'invalid.yaml',
    `${clusters('"${env:UNSET}"')}replications:
  - { origin: london, destinations: [paris], topics: { include: ["/(?=a)/"] } }
  - { origin: lisbon, destinations: [paris], topics: { include: [orders] } }
`,
  );
  const { inWorker, direct } = await bothLoads(file, {});
  assert.equal(inWorker.ok, false);
  assert.deepEqual(inWorker, direct);
  const issues = !inWorker.ok && 'issues' in inWorker ? inWorker.issues.map(formatIssue) : [];
  assert.deepEqual(
    issues.filter((issue) => !issue.includes('warning')).map((issue) => issue.slice(file.length + 1)),
    [
      '5:67: clusters.london.sasl.password: ${env:UNSET}: environment variable UNSET is not set',
      '8:66: replications[0].topics.include[0]: regular expression "/(?=a)/" uses lookaround or a backreference, which patterns do not support: they are matched in linear time (RE2 syntax)',
      '9:15: replications[1].origin: "lisbon" is not a cluster defined under clusters (defined: london, paris)',
    ],
  );
});

test('a file that cannot be read says why, as the direct load does', async () => {
  const { inWorker, direct } = await bothLoads(join(directory, 'missing.yaml'), {});
  assert.deepEqual(inWorker, { ok: false, unreadable: 'no such file' });
  assert.deepEqual(inWorker, direct);
});

test('loads that overlap each get the variables of their own environment', async () => {
  const file = write(
    'overlap.yaml',
    `${clusters('"${env:LONDON_PASSWORD}"')}replications:\n  - { origin: london, destinations: [paris], topics: { include: [orders] } }\n`,
  );
  const passwords = ['first', 'second', 'third'];
  const loaded = await Promise.all(
    passwords.map((password) => loadConfigFileInWorker(file, { env: () => password })),
  );
  assert.deepEqual(
    loaded.map((result) => config(result).clusters.get('london')?.sasl?.password.reveal()),
    passwords,
  );
});

test('the variables a text references are found once each, comments included', () => {
  assert.deepEqual(
    envNamesReferencedIn('a: "${env:A}"\n# b: ${env:B_2}\nc: ${env:A}\nd: ${env:not valid}\ne: ${file:/x}\n'),
    ['A', 'B_2'],
  );
});
