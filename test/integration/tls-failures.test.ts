// TLS problems against a real broker with an SSL listener that requires client certificates (the
// harness makes a CA, the broker's certificate and georep's client certificate with openssl): georep reaches
// the destination over TLS, the origin over PLAINTEXT. A CA file holding the wrong CA puts the flow in error
// `tls-failed` naming the certificate problem and the broker, retried with the backoff of failures that can
// heal (the fix may be on the broker); fixing the CA file's content (the config file stays as it is) and
// sending SIGHUP makes the flow copy at once, byte for byte. A servername the certificate does not list, and
// a missing client certificate, each get `tls-failed` with their own detail.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createTopics, withAdmin } from '../../harness/kafka-client.js';
import type { LocalKafkaCluster } from '../../harness/kafka-local.js';
import { type ReadRecord, readTopicToEnd } from '../../harness/kafka-reader.js';
import { type RecordToWrite, recordWriter } from '../../harness/kafka-writer.js';
import { createCertificateAuthority, type TestPki } from '../../harness/tls-certs.js';
import type { GeorepProcess, GeorepStatus } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { recordDigest } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const run = new TwoClusterRun('tls', {
  names: ['origin', 'destination'],
  localOnly: 'needs clusters the harness starts (an SSL listener)',
  local: { tls: { clientAuth: 'required' } },
});

const PARTITIONS = 2;
/** "Within a few seconds" on an idle machine; generous because 2 cores are shared with other brokers. */
const STEP_TIMEOUT_MS = 60_000;
const topic = uniqueTopicName('tls');
const flowKey = `origin/${topic} -> destination/origin.${topic}`;

let origin: LocalKafkaCluster;
let destination: LocalKafkaCluster;
let pki: TestPki;
const configFile = run.file('geo-replication.yaml');
/** The file tls.ca names; the tests change its content, never its name. */
const caFile = run.file('destination-ca.pem');
let georep: GeorepProcess;

before(async (context) => {
  if (run.skipReason !== undefined) return;
  await run.start(context.signal);
  [origin, destination] = run.local;
  pki = run.pki;
  await withAdmin(origin.bootstrap, (admin) => createTopics(admin, [{ topic, partitions: PARTITIONS }]));
  chmodSync(pki.clientKeyFile, 0o600);
});

after(() => run.finish());

/** The destination over TLS: `tls` is the cluster's tls mapping, as YAML flow style. */
function writeConfig(tls: string): void {
  writeFileSync(
    configFile,
    [
      'clusters:',
      `  origin: { bootstrap: [${origin.bootstrap}] }`,
      `  destination: { bootstrap: [${destination.sslBootstrap}], tls: ${tls} }`,
      'replications:',
      '  - origin: origin',
      '    destinations: [destination]',
      `    topics: { include: [${topic}] }`,
      'daemon:',
      '  discoveryIntervalMs: 2000',
      '',
    ].join('\n'),
  );
}

const clientCertificate = () => `cert: ${pki.clientCertFile}, key: ${pki.clientKeyFile}`;

/** Null keys and values, empty values, repeated and null headers, binary bytes, old timestamps. */
function records(round: string, count: number): RecordToWrite[] {
  return Array.from({ length: count }, (_, index) => ({
    key: index % 5 === 0 ? null : `${round}-key-${index}`,
    value: index % 7 === 3 ? null : index % 7 === 4 ? '' : Buffer.from([index, 0xff, 0x00, index ^ 0x5a]),
    headers: [
      ['h', `${round}-${index}`],
      ['h', null],
      [Buffer.from([0xc3, 0x28]), Buffer.alloc(0)],
    ],
    timestampMs: 1_600_000_000_000 + index,
    partition: index % PARTITIONS,
  }));
}

/** Every record of the topic as partition, CreateTime and a digest of its key, value and headers, sorted. */
async function contents(brokers: string, name: string): Promise<string[]> {
  const found: string[] = [];
  const take = (record: ReadRecord) =>
    found.push(`${record.partition} ${record.timestampMs} ${recordDigest(record)}`);
  await readTopicToEnd({ brokers, topic: name, onRecord: take });
  return found.sort();
}

function flowOf(status: GeorepStatus) {
  return status.flows.find((flow) => flow.key === flowKey);
}

/**
 * Waits until the flow is in error with `tls-failed` and a message naming `code` (the flow of the previous
 * test may still show its own failure just after a reload); returns the message.
 */
async function tlsFailure(code: RegExp): Promise<string> {
  const status = await georep.waitForStatus(
    (current) =>
      flowOf(current)?.error?.reason === 'tls-failed' && code.test(flowOf(current)!.error!.message),
    { what: `the flow in error tls-failed with ${code}`, timeoutMs: STEP_TIMEOUT_MS },
  );
  const flow = flowOf(status)!;
  assert.equal(flow.state, 'error');
  return flow.error!.message;
}

/** Reloads as `systemctl reload` does, and waits until the reload took effect. */
async function reload(): Promise<void> {
  const before = (await georep.status()).lastReload?.atMs ?? 0;
  georep.signal('SIGHUP');
  await georep.waitForStatus((current) => (current.lastReload?.atMs ?? 0) > before, {
    what: 'the reload done',
    timeoutMs: STEP_TIMEOUT_MS,
  });
}

describe(`${run.label}: TLS failures name the certificate problem and heal at the next reload`, {
  skip: run.skipReason,
}, () => {
  test('a CA file holding another CA: the flow fails with tls-failed naming the certificate and the broker', async () => {
    const wrongCa = await createCertificateAuthority(run.file('wrong'), 'wrong');
    copyFileSync(wrongCa.certFile, caFile);
    writeConfig(`{ ca: ${caFile}, ${clientCertificate()} }`);
    const writer = recordWriter(origin.bootstrap);
    try {
      await writer.send(topic, records('first', 60));
    } finally {
      await writer.close();
    }
    // The certificate detail is what @platformatic/kafka's adapter reports (kafkajs's is being removed).
    const env = { GEOREP_KAFKA_CLIENT: 'platformatic' };
    georep = await run.startGeorep({ configFile, name: 'georep-tls', env });
    const message = await tlsFailure(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    assert.match(message, /UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate/);
    assert.ok(message.includes(`TLS with broker ${destination.sslBootstrap} failed`), message);
    assert.match(message, /\(cluster destination\)/);
    assert.match(message, /not signed by a CA in tls\.ca of destination/);
    assert.doesNotMatch(message, /use-system-ca/);
  });

  test('the flow keeps trying with the backoff (a fix on the broker needs no reload), not every 5 minutes', async () => {
    // 0.5 s doubling: the third attempt comes some 2 to 4 s after the first.
    await georep.waitForStatus((current) => (flowOf(current)?.failedAttempts ?? 0) >= 3, {
      what: 'three failed attempts',
      timeoutMs: STEP_TIMEOUT_MS,
    });
  });

  test('the CA file fixed in place and SIGHUP: the flow copies at once, byte for byte', async () => {
    copyFileSync(pki.ca.certFile, caFile);
    await reload();
    // Restarted by the reload, because the CA file's content is part of the destination's connection
    // settings, not by a retry (which would use the clients made with the wrong CA).
    const restart = await georep.waitForLogLine(
      (line) => line.msg.startsWith('applying plan') && JSON.stringify(line.restart).includes(flowKey),
      { what: 'the plan restarting the flow', timeoutMs: STEP_TIMEOUT_MS },
    );
    assert.match(JSON.stringify(restart.restart), /"setting":"destinationConnection"/);
    await georep.waitForStatus(
      (current) => flowOf(current)?.state === 'running' && flowOf(current)?.lag === 0,
      { what: 'the flow running and caught up after the CA fix', timeoutMs: STEP_TIMEOUT_MS },
    );
    assert.deepEqual(
      await contents(destination.bootstrap, `origin.${topic}`),
      await contents(origin.bootstrap, topic),
    );
  });

  test('a servername the certificate does not list: tls-failed naming the altnames', async () => {
    writeConfig(`{ ca: ${caFile}, ${clientCertificate()}, servername: kafka.example.com }`);
    await reload();
    const message = await tlsFailure(/ERR_TLS_CERT_ALTNAME_INVALID/);
    assert.match(
      message,
      /ERR_TLS_CERT_ALTNAME_INVALID: .*kafka\.example\.com.* is not in the cert's altnames: IP Address:127\.0\.0\.1, DNS:localhost/,
    );
    assert.match(message, /tls\.servername/);
  });

  test('no client certificate for a broker that requires one: tls-failed naming the broker alert', async () => {
    writeConfig(`{ ca: ${caFile} }`);
    await reload();
    // Java's TLS 1.3 sends bad_certificate when no certificate comes; certificate_required is the RFC's alert.
    const message = await tlsFailure(/ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_REQUIRED/);
    assert.ok(message.includes(`TLS with broker ${destination.sslBootstrap} failed`), message);
    assert.match(message, /refused georep's client certificate/);
  });
});
