// Files that secrets are read from: only regular files, within a bound, as UTF-8, and a warning when
// too many users can read them. Real files in a temporary directory, read through the real loader.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { formatIssue } from '../../../src/config/issues.js';
import { loadConfigFile } from '../../../src/config/load.js';

describe('secret files', () => {
  const directory = mkdtempSync(join(tmpdir(), 'georep-secrets-'));
  after(() => rmSync(directory, { recursive: true, force: true }));

  function configWithPassword(reference: string): string {
    const file = join(directory, `geo-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      `clusters:
  london:
    bootstrap: [kafka-lon-1:9092]
    tls: true
    sasl: { mechanism: scram-sha-512, username: georep, password: "${reference}" }
  paris: { bootstrap: [kafka-par-1:9092] }
replications:
  - { origin: london, destinations: [paris], topics: { include: [orders] } }
`,
    );
    return file;
  }

  function issuesOf(file: string): string[] {
    const result = loadConfigFile(file, { env: () => undefined });
    if ('unreadable' in result) return [`unreadable: ${result.unreadable}`];
    return (result.ok ? result.warnings : result.issues).map((issue) =>
      formatIssue(issue).slice(file.length + 1),
    );
  }

  function secretFile(name: string, content: string | Buffer, mode: number): string {
    const path = join(directory, name);
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
  }

  const fifo = join(directory, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const cases: [string, () => string, string][] = [
    [
      'an endless device (/dev/zero) is refused without reading it',
      () => '/dev/zero',
      '5:67: clusters.london.sasl.password: ${file:/dev/zero}: cannot read /dev/zero: it is a device, not a regular file',
    ],
    [
      'a named pipe is refused without waiting for a writer',
      () => fifo,
      `5:67: clusters.london.sasl.password: \${file:${fifo}}: cannot read ${fifo}: it is a named pipe, not a regular file`,
    ],
    [
      'a directory is refused',
      () => directory,
      `5:67: clusters.london.sasl.password: \${file:${directory}}: cannot read ${directory}: it is a directory, not a regular file`,
    ],
    [
      'a file larger than 64 KiB is refused',
      () => secretFile('huge.password', 'x'.repeat(100_000), 0o600),
      `5:67: clusters.london.sasl.password: \${file:${directory}/huge.password}: cannot read ${directory}/huge.password: it is 100,000 bytes, more than the 65,536 bytes allowed`,
    ],
    [
      'a password that is not UTF-8 is refused, not silently changed',
      () => secretFile('latin1.password', Buffer.from([0x70, 0xe4, 0x73, 0x73]), 0o600),
      `5:67: clusters.london.sasl.password: \${file:${directory}/latin1.password}: cannot read ${directory}/latin1.password: it is not UTF-8 text (line 1, column 2)`,
    ],
    [
      'a password file readable by every user is warned about',
      () => secretFile('open.password', 'secret\n', 0o644),
      `5:67: warning: clusters.london.sasl.password: ${directory}/open.password holds the password, but it is readable by every user of the host (mode 0644): chmod 600, or 640 with owner root and the service's group`,
    ],
  ];
  for (const [what, path, expected] of cases) {
    test(what, () => {
      assert.deepEqual(issuesOf(configWithPassword(`\${file:${path()}}`)), [expected]);
    });
  }

  test('a file readable by everyone that two clusters use is warned about once', () => {
    const path = secretFile('shared.password', 'secret\n', 0o604);
    const file = join(directory, 'shared.yaml');
    const sasl = `sasl: { mechanism: scram-sha-512, username: georep, password: "\${file:${path}}" }`;
    writeFileSync(
      file,
      `clusters:
  london: { bootstrap: [kafka-lon-1:9092], tls: true, ${sasl} }
  paris: { bootstrap: [kafka-par-1:9092], tls: true, ${sasl} }
replications:
  - { origin: london, destinations: [paris], topics: { include: [orders] } }
`,
    );
    assert.deepEqual(issuesOf(file), [
      `2:117: warning: clusters.london.sasl.password: ${path} holds the password, but it is readable by every user of the host (mode 0604): chmod 600, or 640 with owner root and the service's group`,
    ]);
  });

  test('a password file readable only by its owner is not warned about', () => {
    const path = secretFile('closed.password', 'secret\n', 0o600);
    assert.deepEqual(issuesOf(configWithPassword(`\${file:${path}}`)), []);
  });
});
