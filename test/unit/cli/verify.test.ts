// `georep verify`'s command line: a wrong argument exits 2 with a short error naming it, before any cluster is
// asked anything. (What it finds on real clusters: test/integration/verify.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function georep(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch = mkdtempSync(join(tmpdir(), 'georep-verify-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const configFile = join(scratch, 'geo-replication.yaml');
writeFileSync(
  configFile,
  [
    'clusters:',
    '  a: { bootstrap: ["127.0.0.1:1"] }',
    '  b: { bootstrap: ["127.0.0.1:2"] }',
    'replications:',
    '  - name: orders',
    '    origin: a',
    '    destinations: [b]',
    '    topics: { include: [orders] }',
    '',
  ].join('\n'),
);

describe('georep verify arguments', () => {
  const cases: [string, string[], RegExp][] = [
    ['without --config', ['verify'], /georep verify: --config FILE is required/],
    [
      'with --sample that is not a number',
      ['verify', '-c', configFile, '--sample', 'ten'],
      /--sample: "ten"/,
    ],
    ['with --sample 0', ['verify', '-c', configFile, '--sample', '0'], /--sample: "0" is not a whole number/],
    [
      'with a replication the file does not have',
      ['verify', '-c', configFile, '--replication', 'payments'],
      /--replication: no replication named "payments" .* \(it has: orders\)/,
    ],
    ['with an unknown option', ['verify', '-c', configFile, '--fast'], /Unknown option '--fast'/],
  ];
  for (const [name, args, message] of cases) {
    test(`${name}: exit 2, the error names the argument, then the usage`, () => {
      const result = georep(args);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /usage: georep verify --config FILE/);
    });
  }

  test('georep --help lists verify; georep verify --help documents the exit codes', () => {
    assert.match(georep(['--help']).stdout, /^ {2}verify +compare destinations with their origins/m);
    const help = georep(['verify', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^ {2}3 {2}every copied range matches, but some partition is behind$/m);
  });
});
