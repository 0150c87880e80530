// systemd/georep.service as systemd itself reads it. `systemd-analyze verify` refuses a unit whose ExecStart
// binary does not exist, and on a test machine nothing is installed under /opt/georep: the test verifies a
// temporary copy whose node and georep paths are rewritten to this checkout's node_modules/.bin/node and
// bin/georep.js. Every other line is verified as shipped.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DAEMON_DEFAULTS } from '../../src/config/defaults.js';
import { commandMissing } from './support/commands.js';

const runFile = promisify(execFile);
const repoRootDir = path.resolve(import.meta.dirname, '..', '..');
const shippedUnitFile = path.join(repoRootDir, 'systemd', 'georep.service');
/** Where docs/operations.md ("Installing with systemd") and examples/ansible install the georep command… */
const INSTALLED_GEOREP = '/opt/georep/current/bin/georep';
/** …and the Node.js 24 that the release brings, which runs it. */
const INSTALLED_NODE = '/opt/georep/current/lib/node_modules/georep/node_modules/.bin/node';
/** `systemd-analyze security` scores exposure from 0 (locked down) to 10; ×10 as --threshold takes it. */
const MAX_EXPOSURE_TIMES_10 = 20;

const missingTool = commandMissing('systemd-analyze', 'apt-get install systemd');

/** The shipped unit with the installed paths replaced by this checkout's, in a directory of its own. */
function unitForVerification(dir: string): string {
  const shipped = readFileSync(shippedUnitFile, 'utf8');
  let rewritten = shipped;
  for (const [installed, checkout] of [
    [INSTALLED_NODE, path.join(repoRootDir, 'node_modules', '.bin', 'node')],
    [INSTALLED_GEOREP, path.join(repoRootDir, 'bin', 'georep.js')],
  ] as const) {
    assert.ok(rewritten.includes(installed), `the unit no longer runs ${installed}`);
    rewritten = rewritten.replaceAll(installed, checkout);
  }
  const unitFile = path.join(dir, 'georep.service');
  writeFileSync(unitFile, rewritten);
  return unitFile;
}

/** `Key=value` settings of the [Service] section, last one wins as in systemd (enough for single-use keys). */
function serviceSettings(): Map<string, string> {
  const settings = new Map<string, string>();
  let section = '';
  for (const line of readFileSync(shippedUnitFile, 'utf8').split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line.trim());
    if (header) section = header[1] ?? '';
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (section === 'Service' && setting) settings.set(setting[1] ?? '', setting[2] ?? '');
  }
  return settings;
}

function seconds(value: string | undefined): number {
  const match = /^(\d+)s?$/.exec(value ?? '');
  assert.ok(match, `"${value}" is not a number of seconds`);
  return Number(match[1]);
}

describe('systemd unit systemd/georep.service', { skip: missingTool }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'georep-unit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('systemd-analyze verify accepts it without a single warning', async () => {
    const unitFile = unitForVerification(dir);
    const { stdout, stderr } = await runFile('systemd-analyze', ['verify', unitFile]);
    assert.equal(`${stdout}${stderr}`, '', 'systemd-analyze verify printed warnings');
  });

  test('systemd-analyze verify would catch a mistyped setting (the check above is not blind)', async () => {
    const unitFile = unitForVerification(dir);
    writeFileSync(unitFile, readFileSync(unitFile, 'utf8').replace('NotifyAccess=all', 'NotifyAcess=all'));
    const { stdout, stderr } = await runFile('systemd-analyze', ['verify', unitFile]);
    assert.match(`${stdout}${stderr}`, /Unknown key( name)? 'NotifyAcess'/);
  });

  test(`the sandbox keeps systemd-analyze security's exposure at ${MAX_EXPOSURE_TIMES_10 / 10} or below`, async () => {
    const unitFile = unitForVerification(dir);
    const result = await runFile('systemd-analyze', [
      'security',
      '--offline=yes',
      `--threshold=${MAX_EXPOSURE_TIMES_10}`,
      '--no-pager',
      unitFile,
    ]).catch((error: { stdout: string }) => assert.fail(`exposure above the threshold:\n${error.stdout}`));
    assert.match(result.stdout, /Overall exposure level for georep\.service: [0-9.]+ OK/);
  });

  test('it asks systemd for what the daemon does: notify, reload by SIGHUP, a watchdog, a graceful stop', () => {
    const settings = serviceSettings();
    assert.equal(settings.get('Type'), 'notify');
    // systemd-notify, a child process, sends the notifications: only NotifyAccess=all lets them count.
    assert.equal(settings.get('NotifyAccess'), 'all');
    assert.equal(settings.get('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.ok(seconds(settings.get('WatchdogSec')) > 0);
    assert.ok(
      seconds(settings.get('TimeoutStopSec')) * 1000 > DAEMON_DEFAULTS.shutdownTimeoutMs,
      'systemd must wait longer than georep takes to flush and commit',
    );
    // The Node.js 24 of the release runs georep, not whichever node comes first on systemd's PATH (a
    // Debian host's /usr/bin/node is too old).
    assert.ok(
      settings.get('ExecStart')?.startsWith(`${INSTALLED_NODE} ${INSTALLED_GEOREP} run --config `),
      settings.get('ExecStart'),
    );
    assert.equal(settings.get('User'), 'georep');
    // V8 compiles code at run time into memory that is written, then executed.
    assert.equal(settings.has('MemoryDenyWriteExecute'), false);
  });

  test('a runaway is stopped at MemoryMax, above the heap limit, without swapping first', () => {
    const settings = serviceSettings();
    const heapLimitMiB = Number(/--max-old-space-size=(\d+)/.exec(settings.get('Environment') ?? '')?.[1]);
    assert.ok(heapLimitMiB > 0, 'NODE_OPTIONS sets the heap limit');
    const memoryMax = /^(\d+)M$/.exec(settings.get('MemoryMax') ?? '');
    assert.ok(memoryMax, `MemoryMax is set in MiB, not "${settings.get('MemoryMax')}"`);
    // Below the heap limit plus what lives outside the heap, a georep within its heap would be killed.
    assert.ok(Number(memoryMax[1]) >= heapLimitMiB * 1.25, 'MemoryMax leaves room outside the heap');
    assert.equal(settings.get('MemorySwapMax'), '0', 'at MemoryMax georep is stopped, not swapped out');
    assert.equal(settings.get('Restart'), 'on-failure', 'and started again');
  });
});
