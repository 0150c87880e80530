// `georep run` as an operator meets it under systemd and Prometheus, against real Kafka: the notifications
// systemd gets (on a fake NOTIFY_SOCKET), /metrics as promtool reads it, /status and `georep status` while a
// destination is down, the lag metric rising and falling with it, and no password anywhere in what the
// daemon and its commands print, also when SASL fails.
//
// Two local clusters, `london` (origin) and `frankfurt` (destination), each with a SASL_PLAINTEXT listener
// (PLAIN) that georep uses, and the harness's PLAINTEXT one that the test's own producer uses. The tests of
// a describe() form one scenario and run in order.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalKafkaCluster } from '../../harness/kafka-local.js';
import { passwordDerivedForms } from '../support/password-forms.js';
import { commandMissing } from './support/commands.js';
import { FakeNotifySocket } from './support/fake-notify-socket.js';
import {
  type GeorepCommandResult,
  type GeorepProcess,
  type GeorepStatus,
  runGeorepCommand,
} from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { sampleValue } from './support/metrics-text.js';
import { createTopic, type SequenceProducer, startSequenceProducer } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 3;
const RECORDS_PER_SECOND = 50;
const STEP_TIMEOUT_MS = 180_000;
/** systemd asks for a ping within this; georep pings at half of it. */
const WATCHDOG_USEC = 2_000_000;

const londonUser = 'georep-london';
const frankfurtUser = 'georep-frankfurt';
/** Random per run, so that finding one in an output cannot be a coincidence. */
const londonPassword = `lon-${randomBytes(12).toString('base64url')}`;
const frankfurtPassword = `fra-${randomBytes(12).toString('base64url')}`;
const wrongPasswords = [
  `wrong-${randomBytes(12).toString('base64url')}`,
  `wrong2-${randomBytes(12).toString('base64url')}`,
];
const plaintextListenerPassword = `ptx-${randomBytes(12).toString('base64url')}`;

const run = new TwoClusterRun('ops', {
  names: ['london', 'frankfurt'],
  localOnly: 'needs clusters the harness starts (a SASL listener, a destination to stop)',
  local: { saslPlainUsers: { [londonUser]: londonPassword, [frankfurtUser]: frankfurtPassword } },
});
let london: LocalKafkaCluster;
let frankfurt: LocalKafkaCluster;
let producer: SequenceProducer | null = null;
const topic = uniqueTopicName('ops');
/** Everything georep and its commands printed or served, to be searched for passwords at the end. */
const outputs: { source: string; text: string }[] = [];

before(async (context) => {
  if (run.skipReason !== undefined) return;
  await run.start(context.signal);
  [london, frankfurt] = run.local;
  await createTopic([london.bootstrap], topic, PARTITIONS);
  producer = await startSequenceProducer({
    brokers: [london.bootstrap],
    topic,
    partitions: PARTITIONS,
    recordsPerSecond: RECORDS_PER_SECOND,
  });
  run.writeFile('london.password', `${londonPassword}\n`);
});
run.stopAtEnd(() => producer?.stop());
after(() => run.finish());

/** SASL over the clusters' SASL_PLAINTEXT listeners; passwords from a file and from the environment. */
function saslClusters(): string {
  return [
    'clusters:',
    '  london:',
    `    bootstrap: [${london.saslBootstrap}]`,
    `    sasl: { mechanism: plain, username: ${londonUser}, password: "\${file:london.password}" }`,
    '  frankfurt:',
    `    bootstrap: [${frankfurt.saslBootstrap}]`,
    `    sasl: { mechanism: plain, username: ${frankfurtUser}, password: "\${env:GEOREP_FRANKFURT_PASSWORD}" }`,
    '    connectionTimeoutMs: 3000',
    '    requestTimeoutMs: 5000',
  ].join('\n');
}

function writeConfig(name: string, text: string): string {
  return run.writeFile(name, `${text}\n`);
}

async function fetchText(georep: GeorepProcess, endpoint: string): Promise<string> {
  const response = await fetch(`http://${georep.httpAddress}${endpoint}`);
  const text = await response.text();
  outputs.push({ source: `${georep.name} ${endpoint}`, text });
  return text;
}

async function statusOf(georep: GeorepProcess): Promise<GeorepStatus> {
  return JSON.parse(await fetchText(georep, '/status')) as GeorepStatus;
}

async function lagMetric(georep: GeorepProcess): Promise<number | null> {
  return sampleValue(
    await fetchText(georep, '/metrics'),
    'georep_flow_offset_lag_records',
    `topic="${topic}"`,
  );
}

/** Runs a georep command (from the sources, as `npm run georep --` does) and keeps what it printed. */
async function georepCommand(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<GeorepCommandResult> {
  const result = await runGeorepCommand(args, env);
  outputs.push({ source: `georep ${args.join(' ')}`, text: `${result.stdout}${result.stderr}` });
  return result;
}

function keepLogs(georep: GeorepProcess): void {
  outputs.push({
    source: `${georep.name} stdout+stderr`,
    text: `${georep.logLines.map((line) => JSON.stringify(line)).join('\n')}\n${georep.otherOutput}`,
  });
}

async function waitUntil<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`no ${what} after ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await sleep(250);
  }
}

describe(`${run.label}: georep run under systemd and Prometheus`, { skip: run.skipReason }, () => {
  const flowKey = `london/${topic} -> frankfurt/london.${topic}`;
  let georep: GeorepProcess;
  let socket: FakeNotifySocket;
  let configFile: string;
  let configText: string;

  before(async () => {
    socket = await FakeNotifySocket.open();
    configText = [
      saslClusters(),
      'replications:',
      '  - origin: london',
      '    destinations: [frankfurt]',
      `    topics: { include: [${topic}] }`,
      'daemon:',
      '  discoveryIntervalMs: 1000',
      '  logLevel: debug',
    ].join('\n');
    configFile = writeConfig('operated.yaml', configText);
    georep = await run.startGeorep({
      configFile,
      name: 'georep-operated',
      // Reloads come from SIGHUP only, so that every RELOADING=1 on the socket is one the test asked for.
      extraArgs: ['--no-watch'],
      env: {
        NOTIFY_SOCKET: socket.path,
        WATCHDOG_USEC: String(WATCHDOG_USEC),
        GEOREP_FRANKFURT_PASSWORD: frankfurtPassword,
      },
    });
  });
  after(async () => {
    if (georep !== undefined) keepLogs(georep);
    await socket?.close();
  });

  test('systemd hears READY=1 once the first reconcile started the flows, then watchdog pings', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const ready = await socket.waitFor((m) => m.fields.READY === '1', { what: 'READY=1', timeoutMs: 30_000 });
    assert.equal(socket.messages[0], ready, `READY=1 must come first:\n${socket.describe()}`);
    assert.match(ready.fields.STATUS ?? '', /^1 flows \(1 (starting|running)\)$/);
    const planApplied = georep.logLines.find((line) => line.msg.startsWith('applying plan'));
    assert.ok(planApplied, 'the first reconcile logged its plan');
    assert.ok(ready.receivedAtMs >= Date.parse(planApplied.time), 'READY=1 came after the first reconcile');
    // Every line of the flow carries its context, for journalctl … | jq 'select(.topic == "…")'.
    await georep.waitForLogLine((line) => line.flow === flowKey && line.msg === 'flow running', {
      what: 'the flow running',
      timeoutMs: 60_000,
    });
    const flowLines = georep.logLines.filter((line) => line.flow === flowKey);
    for (const line of flowLines) {
      assert.deepEqual(
        [line.replication, line.origin, line.destination, line.topic, line.destinationTopic],
        ['london->frankfurt', 'london', 'frankfurt', topic, `london.${topic}`],
      );
    }
    await socket.waitFor((m) => m.fields.WATCHDOG === '1', {
      what: 'WATCHDOG=1',
      timeoutMs: WATCHDOG_USEC / 1000,
      afterIndex: socket.messages.indexOf(ready),
    });
  });

  test('promtool check metrics accepts /metrics: flow series per topic, latency per replication, never per partition', {
    timeout: STEP_TIMEOUT_MS,
    skip: commandMissing('promtool', 'apt-get install prometheus'),
  }, async () => {
    await georep.waitForStatus((s) => (s.flows[0]?.recordsMirrored ?? 0) > 0, {
      what: 'records mirrored',
      timeoutMs: 60_000,
    });
    const exposition = await fetchText(georep, '/metrics');
    const checked = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : (child.exitCode ?? -1), output: `${stdout}${stderr}` }),
      );
      child.stdin?.end(exposition);
    });
    assert.equal(checked.code, 0, `promtool check metrics:\n${checked.output}`);
    assert.equal(checked.output, '', 'promtool has lint findings');

    assert.doesNotMatch(exposition, /partition="/);
    const mirrored = exposition
      .split('\n')
      .filter((line) => line.startsWith('georep_records_mirrored_total{'));
    assert.deepEqual(mirrored.length, 1, 'one series for the one flow, whatever its partition count');
    assert.match(
      mirrored[0] ?? '',
      new RegExp(
        `^georep_records_mirrored_total\\{replication="london->frankfurt",origin="london",destination="frankfurt",topic="${topic}"\\} \\d+$`,
      ),
    );
    assert.match(
      exposition,
      /^georep_replication_latency_seconds_count\{replication="london->frankfurt",origin="london",destination="frankfurt"\} [1-9]\d*$/m,
      'the latency histogram is per replication and destination, without a topic label',
    );
    for (const name of [
      'georep_bytes_mirrored_total',
      'georep_flow_offset_lag_records',
      'georep_flows',
      'georep_config_last_reload_successful',
      'georep_reconcile_duration_seconds_count',
    ]) {
      assert.notEqual(sampleValue(exposition, name), null, `${name} is exposed`);
    }
    assert.equal(sampleValue(exposition, 'georep_flows', 'state="running"'), 1);
  });

  test('SIGHUP: RELOADING=1 with MONOTONIC_USEC of that moment, then READY=1; the unchanged flow keeps running', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const before = await statusOf(georep);
    const runningSinceMs = before.flows[0]?.sinceMs;
    const firstIndex = socket.messages.length;
    const sentMonotonicUsec = process.hrtime.bigint() / 1000n;
    georep.signal('SIGHUP');
    const reloading = await socket.waitFor((m) => m.fields.RELOADING === '1', {
      what: 'RELOADING=1',
      timeoutMs: 30_000,
      afterIndex: firstIndex,
    });
    const monotonicUsec = BigInt(reloading.fields.MONOTONIC_USEC ?? '-1');
    assert.ok(
      monotonicUsec >= sentMonotonicUsec && monotonicUsec <= reloading.receivedMonotonicUsec,
      `MONOTONIC_USEC=${monotonicUsec} is not between the signal (${sentMonotonicUsec}) and its arrival`,
    );
    const ready = await socket.waitFor((m) => m.fields.READY === '1', {
      what: 'READY=1 after the reload',
      timeoutMs: 30_000,
      afterIndex: socket.messages.indexOf(reloading),
    });
    assert.match(ready.fields.STATUS ?? '', /^1 flows \(1 running\)$/);
    const after = await statusOf(georep);
    assert.equal(after.flows[0]?.state, 'running');
    assert.equal(after.flows[0]?.sinceMs, runningSinceMs, 'the flow was not restarted');
  });

  test('a reload of a broken file: READY=1 says it failed, the metric is 0, `georep status` names the error', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    writeFileSync(configFile, configText.replace('destinations:', 'destinatons:'));
    const firstIndex = socket.messages.length;
    georep.signal('SIGHUP');
    const ready = await socket.waitFor((m) => m.fields.READY === '1', {
      what: 'READY=1 after the rejected reload',
      timeoutMs: 30_000,
      afterIndex: firstIndex,
    });
    assert.match(ready.fields.STATUS ?? '', /last reload FAILED, previous config in force/);
    assert.equal(sampleValue(await fetchText(georep, '/metrics'), 'georep_config_last_reload_successful'), 0);
    const status = await georepCommand(['status', '--daemon', georep.httpAddress]);
    assert.equal(status.code, 1);
    assert.match(status.stdout, /REJECTED/);
    assert.match(status.stdout, /operated\.yaml:\d+:\d+: replications\[0\]\.destinatons: unknown field/);
    assert.match(status.stdout, new RegExp(`${flowKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+running`));

    writeFileSync(configFile, `${configText}\n`);
    const restoredIndex = socket.messages.length;
    georep.signal('SIGHUP');
    await socket.waitFor((m) => m.fields.READY === '1', {
      what: 'READY=1 after the repaired reload',
      timeoutMs: 30_000,
      afterIndex: restoredIndex,
    });
    assert.equal(sampleValue(await fetchText(georep, '/metrics'), 'georep_config_last_reload_successful'), 1);
  });

  test('destination down: the flow is stalled with its reason in /status and `georep status`; lag rises, then falls after the restart', {
    timeout: STEP_TIMEOUT_MS,
  }, async (context) => {
    await waitUntil(
      () => lagMetric(georep),
      (lag) => lag !== null && lag < RECORDS_PER_SECOND * 5,
      'a small lag',
    );
    let lagWhileDown = 0;
    await frankfurt.kill();
    try {
      const failed = await georep.waitForStatus((s) => s.flows[0]?.state === 'stalled', {
        what: 'the flow stalled',
        timeoutMs: 90_000,
      });
      const flow = failed.flows[0]!;
      assert.equal(flow.key, flowKey);
      assert.equal(flow.error?.reason, 'destination-unavailable', JSON.stringify(flow.error));
      assert.match(flow.error?.message ?? '', /ECONNREFUSED|[Cc]onnection/);
      outputs.push({ source: 'georep-operated /status (flow stalled)', text: JSON.stringify(failed) });

      const status = await georepCommand(['status', '--daemon', georep.httpAddress]);
      assert.equal(status.code, 1, 'georep status exits 1 while a flow is stalled');
      const row = status.stdout.split('\n').find((line) => line.startsWith(flowKey));
      assert.ok(row, `no row for the flow:\n${status.stdout}`);
      assert.match(row, /\sstalled\s.*destination-unavailable: \S/);

      // Records keep arriving on the origin and none is copied: the lag grows with them.
      const firstLag = (await lagMetric(georep)) ?? 0;
      lagWhileDown = (await waitUntil(
        () => lagMetric(georep),
        (lag) => (lag ?? 0) >= firstLag + RECORDS_PER_SECOND * 3,
        'the lag growing while the destination is down',
        30_000,
      )) as number;
      // The flow stays stalled while it tries again, blaming the destination, and is not restarted.
      const stillStalled = (await statusOf(georep)).flows[0];
      assert.equal(stillStalled?.state, 'stalled');
      assert.equal(stillStalled?.error?.reason, 'destination-unavailable');
      assert.deepEqual(
        georep.logLines.filter((line) => line.flow === flowKey && line.msg.startsWith('flow failed')),
        [],
        'no attempt failed: the flow waits for the destination in place',
      );
    } finally {
      if (!frankfurt.running) await frankfurt.restart({ signal: context.signal });
    }

    await georep.waitForStatus((s) => s.flows[0]?.state === 'running', {
      what: 'the flow running again',
      timeoutMs: 90_000,
    });
    // Until the flow copied its first batch again the lag still grows: wait for it to fall below what it
    // was while the destination was down (waiting only for a small lag accepted a lag still rising).
    const caughtUp = await waitUntil(
      () => lagMetric(georep),
      (lag) => lag !== null && lag < Math.min(lagWhileDown, RECORDS_PER_SECOND * 5),
      'the lag falling after the restart',
      90_000,
    );
    assert.ok(
      (caughtUp ?? Infinity) < lagWhileDown,
      `lag ${caughtUp} after the restart, ${lagWhileDown} while down`,
    );
    assert.equal((await georepCommand(['status', '--daemon', georep.httpAddress])).code, 0);
  });

  test('SIGTERM: STOPPING=1, then georep exits 0', { timeout: STEP_TIMEOUT_MS }, async () => {
    const firstIndex = socket.messages.length;
    const { exit, killedAfterTimeout } = await georep.stopGracefully({ timeoutMs: 60_000 });
    assert.equal(killedAfterTimeout, false);
    assert.deepEqual(exit, { code: 0, signal: null });
    const stopping = await socket.waitFor((m) => m.fields.STOPPING === '1', {
      what: 'STOPPING=1',
      timeoutMs: 5_000,
      afterIndex: firstIndex,
    });
    assert.match(stopping.fields.STATUS ?? '', /stopping/);
  });
});

describe(`${run.label}: secrets never appear in what georep prints or serves`, {
  skip: run.skipReason,
}, () => {
  test('a run with SASL passwords that work, one that is wrong and one sent to a PLAINTEXT listener', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const configText = (wrongPassword: string) =>
      [
        saslClusters(),
        // frankfurt's SASL listener with a wrong password, written inline (accepted with a warning).
        '  dublin:',
        `    bootstrap: [${frankfurt.saslBootstrap}]`,
        `    sasl: { mechanism: plain, username: ${frankfurtUser}, password: "${wrongPassword}" }`,
        '    requestTimeoutMs: 5000',
        // frankfurt's PLAINTEXT listener, which knows nothing of SASL.
        '  paris:',
        `    bootstrap: [${frankfurt.bootstrap}]`,
        `    sasl: { mechanism: plain, username: ${frankfurtUser}, password: "\${env:GEOREP_PARIS_PASSWORD}" }`,
        '    connectionTimeoutMs: 3000',
        '    requestTimeoutMs: 5000',
        'replications:',
        '  - origin: london',
        '    destinations: [frankfurt, dublin, paris]',
        `    topics: { include: [${topic}] }`,
        'daemon:',
        '  discoveryIntervalMs: 1000',
        // every line georep logs.
        '  logLevel: trace',
      ].join('\n');
    const configFile = writeConfig('secrets.yaml', configText(wrongPasswords[0]!));
    const env = {
      GEOREP_FRANKFURT_PASSWORD: frankfurtPassword,
      GEOREP_PARIS_PASSWORD: plaintextListenerPassword,
    };
    const georep = await run.startGeorep({ configFile, name: 'georep-secrets', env });
    try {
      const failing = await georep.waitForStatus(
        (s) =>
          s.flows.length === 3 &&
          s.flows.filter((flow) => flow.state === 'error').length === 2 &&
          s.flows.some((flow) => flow.destination === 'frankfurt' && flow.recordsMirrored > 0),
        { what: 'frankfurt copying, dublin and paris in error', timeoutMs: 120_000 },
      );
      const dublin = failing.flows.find((flow) => flow.destination === 'dublin');
      assert.equal(dublin?.error?.reason, 'authentication-failed');
      outputs.push({ source: 'georep-secrets /status', text: JSON.stringify(failing) });
      await fetchText(georep, '/metrics');
      await fetchText(georep, '/readyz');
      await georepCommand(['status', '--daemon', georep.httpAddress]);
      await georepCommand(['status', '--json', '--daemon', georep.httpAddress]);
      await georepCommand(['plan', '-c', configFile, '--daemon', georep.httpAddress], env);
      await georepCommand(['plan', '--json', '-c', configFile, '--daemon', georep.httpAddress], env);
      await georepCommand(['validate', configFile], env);
      await georepCommand(['validate', '--json', configFile], env);

      // A changed password restarts the flows of that cluster: the plan is logged with what changed.
      writeFileSync(configFile, `${configText(wrongPasswords[1]!)}\n`);
      await georep.waitForLogLine(
        (line) => line.msg.startsWith('applying plan') && line.trigger !== 'startup',
        {
          what: 'the reload plan',
          timeoutMs: 30_000,
        },
      );
      await georepCommand(['plan', '-c', configFile, '--daemon', georep.httpAddress], env);
      const { exit } = await georep.stopGracefully({ timeoutMs: 60_000 });
      assert.equal(exit.code, 0);
    } finally {
      keepLogs(georep);
      await georep.crash();
    }
  });

  test('no output of any run in this file holds a password, in clear, base64, hex or as a SASL PLAIN token', () => {
    const secrets = [
      { user: londonUser, password: londonPassword },
      { user: frankfurtUser, password: frankfurtPassword },
      ...wrongPasswords.map((password) => ({ user: frankfurtUser, password })),
      { user: frankfurtUser, password: plaintextListenerPassword },
    ];
    const forms = secrets.flatMap(({ user, password }) => [
      ...passwordDerivedForms(password),
      Buffer.from(password).toString('base64'),
      Buffer.from(password).toString('hex'),
      Buffer.from(`\0${user}\0${password}`).toString('base64'),
    ]);
    assert.ok(outputs.length >= 10, `only ${outputs.length} outputs were collected`);
    assert.ok(
      outputs.some((output) => output.text.includes('authentication-failed')),
      'the failure paths were exercised',
    );
    for (const output of outputs) {
      for (const form of forms) {
        assert.equal(output.text.includes(form), false, `${output.source} contains a password (${form})`);
      }
    }
  });
});
