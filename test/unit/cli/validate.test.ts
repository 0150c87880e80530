// `georep validate` as operators and Ansible run it: its exit status and its output. The command line runs
// in-process through its CommandIo (cli.ts), with the environment each test gives; one test runs the real
// process, as Ansible does, to show the same through the `georep` entry point.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { georepInProcess as georep } from '../../support/run-cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// The paths in the expected output are relative to the checkout, as an operator would type them there.
process.chdir(ROOT);
const EXAMPLES = ['active-active', 'disaster-recovery', 'fan-out', 'minimal', 'tls-sasl'].map(
  (name) => `examples/${name}.yaml`,
);

/** Runs `georep` as a real process. */
function georepProcess(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch = mkdtempSync(join(tmpdir(), 'georep-validate-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// git checks the example secrets out readable by everyone (0644), which validate rightly warns about;
// an installed copy is 0600 (or root:georep 0640). git records no such mode, so this changes nothing
// it tracks.
before(() => {
  for (const secret of ['london.password', 'frankfurt.password', 'georep-client.key']) {
    chmodSync(join(ROOT, 'examples', 'secrets', secret), 0o600);
  }
});

describe('georep validate', () => {
  test('every example is valid: exit 0 and one line per file (a real process)', () => {
    const { status, stdout, stderr } = georepProcess(['validate', ...EXAMPLES]);
    assert.equal(stderr, '');
    assert.equal(status, 0);
    assert.equal(
      stdout,
      [
        'examples/active-active.yaml: valid (2 clusters, 4 replications)',
        'examples/disaster-recovery.yaml: valid (2 clusters, 1 replication)',
        'examples/fan-out.yaml: valid (4 clusters, 1 replication)',
        'examples/minimal.yaml: valid (2 clusters, 1 replication)',
        'examples/tls-sasl.yaml: valid (2 clusters, 1 replication)',
        '',
      ].join('\n'),
    );
  });

  test('an invalid file: exit 1, each problem as file:line:col: message', async () => {
    const file = 'test/fixtures/config/bad/unknown-cluster.yaml';
    const { status, stdout } = await georep(['validate', 'examples/minimal.yaml', file]);
    assert.equal(status, 1);
    assert.equal(
      stdout,
      [
        'examples/minimal.yaml: valid (2 clusters, 1 replication)',
        `${file}:5:13: replications[0].origin: "lodnon" is not a cluster defined under clusters; did you mean "london"?`,
        `${file}:6:27: replications[0].destinations[1]: "tokyo" is not a cluster defined under clusters (defined: london, paris)`,
        `${file}: invalid (2 errors)`,
        '',
      ].join('\n'),
    );
  });

  test('--json prints every file with its errors and warnings as data', async () => {
    const { status, stdout } = await georep([
      'validate',
      '--json',
      'examples/minimal.yaml',
      'test/fixtures/config/bad/missing-field.yaml',
    ]);
    assert.equal(status, 1);
    assert.deepEqual(JSON.parse(stdout), {
      valid: false,
      files: [
        {
          file: 'examples/minimal.yaml',
          valid: true,
          errors: [],
          warnings: [],
          summary: 'valid (2 clusters, 1 replication)',
        },
        {
          file: 'test/fixtures/config/bad/missing-field.yaml',
          valid: false,
          errors: [
            {
              line: 5,
              col: 5,
              code: 'MISSING_FIELD',
              path: 'replications[0]',
              message: 'replications[0]: missing required field "destinations"',
            },
          ],
          warnings: [],
          summary: 'invalid (1 error)',
        },
      ],
    });
  });

  test('a file that cannot be read: exit 1 with the reason', async () => {
    const { status, stdout } = await georep(['validate', 'examples/no-such.yaml']);
    assert.equal(status, 1);
    assert.equal(stdout, 'examples/no-such.yaml: cannot read the file: no such file\n');
  });

  test('works on a temporary copy with any name, as Ansible validate: runs it, given --base-dir', async () => {
    const copy = join(scratch, 'ansible.abc123tmp');
    copyFileSync(join(ROOT, 'examples/tls-sasl.yaml'), copy);
    const withoutBase = await georep(['validate', copy]);
    assert.equal(
      withoutBase.status,
      1,
      'relative secret paths resolve next to the copy, where there are none',
    );
    assert.match(
      withoutBase.stdout,
      /ansible\.abc123tmp:13:11: clusters\.london\.tls\.ca: cannot read the CA file .*secrets\/ca\.pem: no such file/,
    );
    const withBase = await georep(['validate', '--base-dir', join(ROOT, 'examples'), copy]);
    assert.equal(withBase.stdout, `${copy}: valid (2 clusters, 1 replication)\n`);
    assert.equal(withBase.status, 0);
  });

  test('--environment-file supplies the variables the service will get', async () => {
    const config = join(scratch, 'env.yaml');
    writeFileSync(
      config,
      `clusters:
  london: { bootstrap: [kafka:9093], tls: true, sasl: { mechanism: plain, username: u, password: "\${env:LONDON_PASSWORD}" } }
  paris: { bootstrap: [kafka:9093] }
replications:
  - { origin: london, destinations: [paris], topics: { include: [orders] } }
`,
    );
    const envFile = join(scratch, 'georep.env');
    writeFileSync(envFile, '# as systemd reads it\nLONDON_PASSWORD="from-env-file"\n');
    assert.equal((await georep(['validate', config])).status, 1);
    assert.equal((await georep(['validate', '--environment-file', envFile, config])).status, 0);
  });

  test('no secret value ever appears in the output, valid or not, text or JSON', async () => {
    const passwordFile = join(scratch, 'london.password');
    writeFileSync(passwordFile, 's3cr3t-VALUE-file\n');
    const valid = join(scratch, 'secrets.yaml');
    writeFileSync(
      valid,
      `clusters:
  london: { bootstrap: [kafka:9093], tls: true, sasl: { mechanism: scram-sha-512, username: u, password: "\${file:london.password}" } }
  paris: { bootstrap: [kafka:9093], tls: true, sasl: { mechanism: scram-sha-512, username: u, password: "\${env:PARIS_PASSWORD}" } }
  rome: { bootstrap: [kafka:9093], tls: true, sasl: { mechanism: scram-sha-512, username: u, password: s3cr3t-VALUE-inline } }
replications:
  - { origin: london, destinations: [paris, rome], topics: { include: [orders] } }
`,
    );
    const broken = join(scratch, 'broken.yaml');
    writeFileSync(
      broken,
      `clusters:
  london: { bootstrap: [kafka:9093], sasl: { mechanism: scram, username: u, password: s3cr3t-VALUE-inline, pasword: x } }
  paris: { bootstrap: [kafka:9093], sasl: { mechanism: plain, username: u, password: s3cr3t-VALUE-broken ] } }
`,
    );
    const env = { PARIS_PASSWORD: 's3cr3t-VALUE-env' };
    const runs = [
      await georep(['validate', valid], env),
      await georep(['validate', '--json', valid], env),
      await georep(['validate', valid, broken], env),
      await georep(['validate', '--json', valid, broken], env),
    ];
    assert.deepEqual(
      runs.map((run) => run.status),
      [0, 0, 1, 1],
    );
    assert.match(
      runs[0]!.stdout,
      /warning: clusters\.rome\.sasl\.password: the password is written in the file/,
    );
    for (const run of runs) {
      assert.ok(!`${run.stdout}${run.stderr}`.includes('s3cr3t-VALUE'), `${run.stdout}${run.stderr}`);
    }
  });

  test('--help documents the options, the path rule and the exit status', async () => {
    const { status, stdout } = await georep(['validate', '--help']);
    assert.equal(status, 0);
    assert.match(
      stdout,
      /^usage: georep validate \[--json\] \[--base-dir DIR\] \[--environment-file FILE\]\.\.\. FILE\.\.\./,
    );
    assert.match(stdout, /resolve against the directory of\nthat file/);
    assert.match(stdout, /validate: georep validate --base-dir \/etc\/georep %s/);
    assert.match(stdout, /exit status:\n {2}0 {2}every file is valid/);
  });

  const usageErrors: [string, string[], RegExp][] = [
    [
      'no FILE',
      ['validate'],
      /^georep validate: no FILE given\nusage: georep validate .*\n'georep validate --help' shows every option\.\n$/,
    ],
    [
      'an unknown option',
      ['validate', '--jsn', 'examples/minimal.yaml'],
      /^georep validate: Unknown option '--jsn'/,
    ],
    [
      '--base-dir without a directory',
      ['validate', '--base-dir'],
      /^georep validate: Option '--base-dir <value>' argument missing/,
    ],
    [
      'an unreadable --environment-file',
      ['validate', '--environment-file', '/nonexistent/georep.env', 'examples/minimal.yaml'],
      /^georep validate: cannot read --environment-file \/nonexistent\/georep.env: ENOENT/,
    ],
  ];
  for (const [what, args, message] of usageErrors) {
    test(`${what} is a usage error: exit 2, the message and the usage on stderr`, async () => {
      const { status, stdout, stderr } = await georep(args);
      assert.equal(status, 2);
      assert.equal(stdout, '');
      assert.match(stderr, message);
    });
  }
});

describe('georep', () => {
  test('--help lists the commands and the exit status', async () => {
    const { status, stdout } = await georep(['--help']);
    assert.equal(status, 0);
    assert.match(stdout, /^usage: georep <command> \[options\]/);
    assert.match(stdout, /\n {2}validate {2}check geo-replication\.yaml files/);
    assert.match(
      stdout,
      /exit status:\n {2}0 {2}ok\n {2}1 {2}the configuration is invalid or a check failed\n {2}2 {2}usage error/,
    );
  });

  test('no command is a usage error', async () => {
    const { status, stderr } = await georep([]);
    assert.equal(status, 2);
    assert.match(stderr, /^usage: georep <command>/);
  });

  test('an unknown command is a usage error', async () => {
    const { status, stderr } = await georep(['valdate', 'x.yaml']);
    assert.equal(status, 2);
    assert.match(stderr, /^georep: unknown command "valdate"\n/);
  });
});
