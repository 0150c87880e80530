// run-tests: alone (a steady flow must keep copying under a flood of requests).
// georep's HTTP listener against real Kafka, as an operator and an attacker meet it: the port the OS chose
// (daemon.httpListen with port 0), a Host header of someone else's name refused (DNS rebinding), 1,000
// concurrent slow connections plus malformed requests and a /status flood while a steady flow copies (the
// flow keeps up), then TLS and basic auth from a web-config file put in force by SIGHUP: Prometheus-style
// scrapes and `georep status` work with the right credentials and are refused without.
//
// The tests of the describe() form one scenario and run in order.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { GeorepProcess, type GeorepStatus, runGeorepCommand } from './support/georep-process.js';
import { abuseHttp } from './support/http-abuse.js';
import { uniqueTopicName } from './support/kafka-records.js';
import {
  createTopics,
  endOffsets,
  type SequenceProducer,
  startSequenceProducer,
} from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 3;
const RECORDS_PER_SECOND = 100;
const ABUSE_MS = 20_000;
/** The destination must hold, when the abuse ends, every record the origin had this long before. */
const KEEP_UP_MS = 5_000;
const STEP_TIMEOUT_MS = 180_000;

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'http');
const certFile = path.join(fixtures, 'localhost.crt');
const scrapeUser = 'prometheus';
const scrapePassword = `scrape-${randomBytes(12).toString('base64url')}`;

const run = new TwoClusterRun('http-listener');
const topic = uniqueTopicName('http');
const destinationTopic = `origin.${topic}`;
const flowKey = `origin/${topic} -> destination/${destinationTopic}`;
let producer: SequenceProducer | null = null;
let georep: GeorepProcess;

function writeConfig(daemonLines: readonly string[]): string {
  const file = path.join(run.workDir, 'geo-replication.yaml');
  const list = (brokers: readonly string[]) =>
    `[${brokers.map((broker) => JSON.stringify(broker)).join(', ')}]`;
  writeFileSync(
    file,
    [
      'clusters:',
      `  origin: { bootstrap: ${list(run.origin)} }`,
      `  destination: { bootstrap: ${list(run.destination)} }`,
      'replications:',
      '  - origin: origin',
      '    destinations: [destination]',
      `    topics: { include: [${JSON.stringify(topic)}] }`,
      'daemon:',
      '  httpListen: 127.0.0.1:0',
      '  httpAllowedHosts: [georep.test]',
      ...daemonLines,
      '',
    ].join('\n'),
  );
  return file;
}

/** One GET with the given Host and Authorization headers (node:http lets a test set Host, fetch does not). */
function get(
  url: string,
  options: { host?: string; authorization?: string; ca?: string } = {},
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {};
  if (options.host !== undefined) headers.host = options.host;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  return new Promise((resolve, reject) => {
    const onResponse = (response: IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    };
    const request = url.startsWith('https:')
      ? httpsRequest(url, { headers, ...(options.ca === undefined ? {} : { ca: options.ca }) }, onResponse)
      : httpRequest(url, { headers }, onResponse);
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from ${url} in 10 s`)));
    request.on('error', reject);
    request.end();
  });
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const total = (ends: ReadonlyMap<number, bigint>) => [...ends.values()].reduce((sum, end) => sum + end, 0n);

before(async (context) => {
  await run.start(context.signal);
  await createTopics(run.origin, [{ topic, partitions: PARTITIONS }]);
  run.deleteAtEnd('origin', [topic]);
  run.deleteAtEnd('destination', [destinationTopic]);
  producer = await startSequenceProducer({
    brokers: run.origin,
    topic,
    partitions: PARTITIONS,
    recordsPerSecond: RECORDS_PER_SECOND,
  });
});

after(async () => {
  await producer?.stop().catch(() => undefined);
  await run.finish();
});

describe('the HTTP listener under a steady flow', () => {
  test('httpListen with port 0: the daemon binds a free port and says which, in its log and /status', {
    timeout: STEP_TIMEOUT_MS,
  }, async (context) => {
    georep = await GeorepProcess.start({
      configFile: writeConfig([]),
      name: 'georep-http',
      httpListenFromConfig: true,
      logDir: run.workDir,
    });
    const port = Number(georep.httpAddress.split(':').pop());
    assert.ok(port > 0, `bound ${georep.httpAddress}`);
    await georep.waitForStatus(
      (status) => status.flows.some((flow) => flow.key === flowKey && flow.recordsMirrored > 0),
      { what: 'the flow copying', timeoutMs: 90_000, signal: context.signal },
    );
    assert.equal((await georep.status()).httpAddress, georep.httpAddress);
    const status = await runGeorepCommand(['status', '--daemon', georep.httpAddress]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`origin/${topic}`));
  });

  test('a Host header naming someone else is refused with 421; listed names, IPs and localhost are served', async () => {
    const url = `http://${georep.httpAddress}/status`;
    const port = georep.httpAddress.split(':').pop();
    const rebound = await get(url, { host: `rebind.attacker.example:${port}` });
    assert.equal(rebound.status, 421);
    assert.match(rebound.body, /daemon\.httpAllowedHosts/);
    assert.equal(rebound.body.includes(topic), false, 'no /status content in the refusal');
    for (const host of [`georep.test:${port}`, `localhost:${port}`, `127.0.0.1:${port}`]) {
      assert.equal((await get(url, { host })).status, 200, host);
    }
  });

  test('1,000 slow connections, malformed requests and a /status flood: the flow keeps up, the daemon answers after', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const abuse = abuseHttp({
      address: georep.httpAddress,
      durationMs: ABUSE_MS,
      connections: 1_000,
      malformedLoops: 20,
      floodLoops: 50,
    });
    await sleep(ABUSE_MS - KEEP_UP_MS);
    const originBefore = await endOffsets(run.origin, topic);
    const report = await abuse;
    const destinationAtEnd = await endOffsets(run.destination, destinationTopic);
    process.stderr.write(
      `abuse: ${JSON.stringify(report)}; the origin had ${total(originBefore)} records ${KEEP_UP_MS} ms ` +
        `before the end, the destination ${total(destinationAtEnd)} at the end\n`,
    );
    assert.ok(report.connectionsOpened >= 1_000, `${report.connectionsOpened} connections opened`);
    assert.ok(report.malformedSent > 0 && report.floodRequests > 0);
    for (const [partition, end] of originBefore) {
      const copied = destinationAtEnd.get(partition) ?? 0n;
      assert.ok(
        copied >= end,
        `partition ${partition}: the destination has ${copied} records at the end of the abuse, ` +
          `the origin had ${end} ${KEEP_UP_MS} ms before`,
      );
    }
    // Nothing is held once the abuse stops: the daemon answers and the flow is caught up and running.
    assert.equal((await get(`http://${georep.httpAddress}/healthz`)).status, 200);
    const originNow = await endOffsets(run.origin, topic);
    await georep.waitForStatus(
      (status) => {
        const flow = status.flows.find((candidate) => candidate.key === flowKey);
        // The producer goes on writing: caught up means at or past the origin's ends of a moment ago.
        return (
          flow?.state === 'running' &&
          [...originNow].every(([partition, end]) => {
            const position = flow.partitions.find((p) => p.partition === partition)?.position;
            return position != null && BigInt(position) >= end;
          })
        );
      },
      { what: 'the flow caught up', timeoutMs: 60_000 },
    );
  });

  test('SIGHUP with a web-config file: HTTPS with basic auth, `georep status` with the credentials; refused without', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const webConfig = path.join(run.workDir, 'web-config.yml');
    writeFileSync(
      webConfig,
      [
        'tls_server_config:',
        `  cert_file: ${certFile}`,
        `  key_file: ${path.join(fixtures, 'localhost.key')}`,
        'basic_auth_users:',
        `  ${scrapeUser}: ${JSON.stringify(bcrypt.hashSync(scrapePassword, 10))}`,
        '',
      ].join('\n'),
    );
    const plainAddress = georep.httpAddress;
    const flowBefore = (await georep.status()).flows.find((flow) => flow.key === flowKey);
    writeConfig([`  httpWebConfig: ${JSON.stringify(webConfig)}`]);
    georep.signal('SIGHUP');
    const listening = await georep.waitForLogLine(
      (line) => line.tls === true && typeof line.url === 'string',
      { what: 'the HTTPS server listening', timeoutMs: 30_000 },
    );
    const url = String(listening.url);
    const ca = readFileSync(certFile, 'utf8');

    const scrape = await get(`${url}/metrics`, { ca, authorization: basic(scrapeUser, scrapePassword) });
    assert.equal(scrape.status, 200);
    assert.match(scrape.body, /georep_/);
    assert.equal((await get(`${url}/metrics`, { ca })).status, 401);
    assert.equal(
      (await get(`${url}/metrics`, { ca, authorization: basic(scrapeUser, 'wrong') })).status,
      401,
    );
    await assert.rejects(get(`http://${String(listening.address)}/metrics`), 'plain HTTP is not served');
    if (String(listening.address) !== plainAddress) {
      await assert.rejects(get(`http://${plainAddress}/metrics`), 'the plain server is closed');
    }

    const credentials = { GEOREP_HTTP_USER: scrapeUser, GEOREP_HTTP_PASSWORD: scrapePassword };
    const statusArgs = ['status', '--daemon', url, '--daemon-ca', certFile];
    const withCredentials = await runGeorepCommand(statusArgs, credentials);
    assert.equal(withCredentials.code, 0, withCredentials.stderr);
    assert.match(withCredentials.stdout, new RegExp(`origin/${topic}`));
    const without = await runGeorepCommand(statusArgs, { GEOREP_HTTP_USER: '', GEOREP_HTTP_PASSWORD: '' });
    assert.equal(without.code, 1);
    assert.match(without.stderr, /HTTP 401/);

    // The reload changed only the HTTP server: the flow was not restarted (its count would start again).
    const json = await runGeorepCommand([...statusArgs, '--json'], credentials);
    const flowAfter = (JSON.parse(json.stdout) as GeorepStatus).flows.find((flow) => flow.key === flowKey);
    assert.ok(
      (flowAfter?.recordsMirrored ?? 0) >= (flowBefore?.recordsMirrored ?? 0),
      `mirrored ${flowAfter?.recordsMirrored}, ${flowBefore?.recordsMirrored} before the reload`,
    );
  });
});
