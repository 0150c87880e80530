// run-tests: alone (it packs a release in the repository, rewriting package.json and dist/ meanwhile).
// examples/ansible/playbook.yml run by Debian's ansible-playbook against this machine (connection: local),
// as an operator runs it against a host — except that everything goes under a temporary root
// (georep_root): /opt/georep, /etc/georep, /usr/local/bin and /etc/systemd/system all live inside it, no
// user is created, and the service is never touched (the role manages it only when georep_root is "" and
// systemd runs). The tarball is made by `npm run pack:release`, as a release would be.
//
// The tests form one scenario and run in order: install, run again, a broken template, a changed config.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { isSupportedNode } from '../../src/cli/supported-node.js';
import { HOST_PATH, unsupportedSystemNode } from '../support/system-node.js';
import { commandMissing } from './support/commands.js';

const runFile = promisify(execFile);
const repoRootDir = path.resolve(import.meta.dirname, '..', '..');
const playbook = path.join(repoRootDir, 'examples', 'ansible', 'playbook.yml');
const roleTemplate = path.join(
  repoRootDir,
  'examples',
  'ansible',
  'roles',
  'georep',
  'templates',
  'geo-replication.yaml.j2',
);
const STEP_TIMEOUT_MS = 180_000;
const oldNode = unsupportedSystemNode();

const missingTool = commandMissing('ansible-playbook', 'apt-get install ansible-core');

interface PlaybookRun {
  readonly exitCode: number;
  readonly output: string;
  /** From the PLAY RECAP line of localhost. */
  readonly recap: { ok: number; changed: number; failed: number; skipped: number };
}

describe('Ansible: examples/ansible/playbook.yml into a temporary root', { skip: missingTool }, () => {
  const workDir = mkdtempSync(path.join(tmpdir(), 'georep-ansible-'));
  const root = path.join(workDir, 'root');
  const configFile = path.join(root, 'etc', 'georep', 'geo-replication.yaml');
  const londonPassword = `london-${process.pid}-vaulted`;
  const frankfurtPassword = `frankfurt ${process.pid} vaulted`;
  let tarball = '';

  async function runPlaybook(extraVars: Record<string, unknown> = {}): Promise<PlaybookRun> {
    const user = userInfo().username;
    const group = (await runFile('id', ['-gn'])).stdout.trim();
    const varsFile = path.join(workDir, `vars-${Date.now()}.json`);
    writeFileSync(
      varsFile,
      JSON.stringify({
        georep_root: root,
        georep_tarball: tarball,
        georep_create_user: false,
        georep_user: user,
        georep_group: group,
        georep_config_owner: user,
        // The dependencies are in npm's cache since `npm ci`; an operator's host would fetch them.
        georep_npm_install_options: ['--prefer-offline'],
        vault_georep_london_password: londonPassword,
        vault_georep_frankfurt_password: frankfurtPassword,
        // The play says become: true, as it should on a real host; here the test already runs as itself.
        ansible_become: false,
        ...extraVars,
      }),
    );
    const inventory = path.join(workDir, 'inventory.ini');
    writeFileSync(
      inventory,
      '[georep]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n',
    );
    const ansibleTemp = path.join(workDir, 'ansible-tmp');
    mkdirSync(ansibleTemp, { recursive: true });
    const result = await runFile('ansible-playbook', ['-i', inventory, playbook, '-e', `@${varsFile}`], {
      env: {
        ...process.env,
        // As on a host: `node` is the system's (Node 20 on CI), which runs npm and nothing of georep.
        PATH: HOST_PATH,
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_RETRY_FILES_ENABLED: '0',
        ANSIBLE_HOME: path.join(workDir, 'ansible-home'),
        ANSIBLE_LOCAL_TEMP: ansibleTemp,
        ANSIBLE_REMOTE_TEMP: ansibleTemp,
      },
      maxBuffer: 16 * 1024 * 1024,
    }).then(
      ({ stdout, stderr }) => ({ exitCode: 0, output: `${stdout}${stderr}` }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        exitCode: typeof error.code === 'number' ? error.code : -1,
        output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
      }),
    );
    const recap =
      /localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)\s+skipped=(\d+)/.exec(
        result.output,
      );
    assert.ok(recap, `no PLAY RECAP in the output:\n${result.output}`);
    return {
      ...result,
      recap: {
        ok: Number(recap[1]),
        changed: Number(recap[2]),
        failed: Number(recap[3]),
        skipped: Number(recap[4]),
      },
    };
  }

  before(async () => {
    const packed = await runFile('bash', [path.join(repoRootDir, 'scripts', 'pack-release.sh'), workDir], {
      cwd: repoRootDir,
    });
    tarball = packed.stdout.trim().split('\n').at(-1) ?? '';
    assert.match(path.basename(tarball), /^georep-.+\.tgz$/);
  });
  after(() => rmSync(workDir, { recursive: true, force: true }));

  test('the first run installs georep, renders and validates the config, installs the unit', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const run = await runPlaybook();
    assert.equal(run.exitCode, 0, run.output);
    assert.equal(run.recap.failed, 0);
    assert.ok(run.recap.changed > 0);

    // The georep command on PATH works whatever node the host has, and accepts the installed file as the
    // service will read it.
    const georep = path.join(root, 'usr', 'local', 'bin', 'georep');
    const configDir = path.dirname(configFile);
    const validated = await runFile(
      georep,
      [
        'validate',
        '--base-dir',
        configDir,
        '--environment-file',
        path.join(configDir, 'georep.env'),
        configFile,
      ],
      { env: { ...process.env, PATH: HOST_PATH } },
    );
    assert.match(validated.stdout, /valid/);
    const config = readFileSync(configFile, 'utf8');
    assert.match(config, /^ {2}london:$/m);
    assert.match(config, /password: \$\{file:london\.password\}/);
    assert.equal(readFileSync(path.join(configDir, 'london.password'), 'utf8'), `${londonPassword}\n`);
    for (const secretFile of ['london.password', 'georep.env', 'geo-replication.yaml']) {
      assert.equal(statSync(path.join(configDir, secretFile)).mode & 0o777, 0o640, secretFile);
    }

    // The installed unit runs the installed georep with the installed config, on the release's Node.js 24.
    const unit = readFileSync(path.join(root, 'etc', 'systemd', 'system', 'georep.service'), 'utf8');
    const releaseNode = `${root}/opt/georep/current/lib/node_modules/georep/node_modules/.bin/node`;
    assert.match(
      unit,
      new RegExp(
        `^ExecStart=${releaseNode} ${root}/opt/georep/current/bin/georep run --config ${configFile}$`,
        'm',
      ),
    );
    const releaseNodeVersion = (await runFile(releaseNode, ['--version'])).stdout.trim();
    assert.ok(isSupportedNode(releaseNodeVersion), `the release brings Node.js ${releaseNodeVersion}`);
    if (commandMissing('systemd-analyze', '') === undefined) {
      const verified = await runFile('systemd-analyze', [
        'verify',
        path.join(root, 'etc', 'systemd', 'system', 'georep.service'),
      ]);
      assert.equal(`${verified.stdout}${verified.stderr}`, '');
    }

    // Vaulted values never reach Ansible's output.
    assert.equal(run.output.includes(londonPassword), false, 'the london password is in the output');
    assert.equal(run.output.includes(frankfurtPassword), false, 'the frankfurt password is in the output');
  });

  test('a second run with the same settings changes nothing (changed=0)', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const run = await runPlaybook();
    assert.equal(run.exitCode, 0, run.output);
    assert.equal(run.recap.changed, 0, run.output);
    assert.doesNotMatch(run.output, /RUNNING HANDLER/);
  });

  test('a template that renders an invalid config is refused, and the installed file stays as it was', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const before = { text: readFileSync(configFile, 'utf8'), mtimeMs: statSync(configFile).mtimeMs };
    const brokenTemplate = path.join(workDir, 'broken-geo-replication.yaml.j2');
    writeFileSync(
      brokenTemplate,
      readFileSync(roleTemplate, 'utf8').replace(
        '  - {{ replication',
        '  - destinatons: [dublin]\n    {{ replication',
      ),
    );
    const run = await runPlaybook({ georep_config_template: brokenTemplate });
    assert.notEqual(run.exitCode, 0);
    assert.equal(run.recap.failed, 1);
    assert.match(
      run.output,
      /TASK \[georep : Render geo-replication\.yaml\] \*+\n(?:.*\n)*?fatal: .*failed to validate/,
    );
    // georep validate's own message, with line and column, is what the operator reads.
    assert.match(run.output, /:\d+:\d+: replications\[0\]\.destinatons: unknown field/);
    assert.equal(readFileSync(configFile, 'utf8'), before.text);
    assert.equal(statSync(configFile).mtimeMs, before.mtimeMs);
    assert.doesNotMatch(run.output, /RUNNING HANDLER/);
  });

  test('a changed setting rewrites the config and notifies the reload handler (skipped: no service here)', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const run = await runPlaybook({
      georep_daemon: { httpListen: '127.0.0.1:9787', discoveryIntervalMs: 10000 },
    });
    assert.equal(run.exitCode, 0, run.output);
    assert.equal(run.recap.changed, 1, run.output);
    assert.match(run.output, /TASK \[georep : Render geo-replication\.yaml\] \*+\nchanged:/);
    assert.match(run.output, /RUNNING HANDLER \[georep : Reload georep\]/);
    assert.doesNotMatch(run.output, /RUNNING HANDLER \[georep : Restart georep\]/);
    assert.match(readFileSync(configFile, 'utf8'), /discoveryIntervalMs: 10000/);
  });

  test("georep_node set to a Node.js that georep does not support fails the play with georep's message", {
    timeout: STEP_TIMEOUT_MS,
    skip: oldNode === undefined && 'no unsupported Node.js on PATH (CI has the system Node 20)',
  }, async () => {
    const run = await runPlaybook({ georep_node: oldNode?.path });
    assert.notEqual(run.exitCode, 0);
    assert.equal(run.recap.failed, 1);
    assert.match(run.output, /TASK \[georep : Check that georep runs on .+\] \*+\n(?:.*\n)*?fatal: /);
    assert.ok(
      run.output.includes(
        `georep needs Node.js ^22.22.0 || >=24.6.0, but was started by Node.js ${oldNode?.version}`,
      ),
      run.output,
    );
    assert.doesNotMatch(run.output, /RUNNING HANDLER/);
  });
});
