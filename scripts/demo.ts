// `npm run demo`: georep on two local Kafka clusters with live traffic.
//   1. starts two single-node clusters with the harness ("london" and "frankfurt");
//   2. creates topics on london and keeps producing records to them;
//   3. runs `georep run` on examples/demo.yaml (with the clusters' real addresses);
//   4. prints every record as it arrives on frankfurt (topics georep creates later included), and the flows'
//      status every few seconds.
// georep's HTTP port is a free one, so that two demos can run on one host. Ctrl-C stops georep (gracefully:
// it commits what it copied), the producer and the clusters, leaving no process behind.
import '../src/cli/require-supported-node.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePorts } from '../harness/free-ports.js';
import { createTopics, withAdmin } from '../harness/kafka-client.js';
import { startClusters } from '../harness/kafka-local.js';
import { followTopics } from '../harness/kafka-reader.js';
import { type RecordWriter, recordWriter } from '../harness/kafka-writer.js';
import { repoRootDir } from '../harness/versions.js';
import { renderRejectedReload, renderStatusTable } from '../src/cli/status.js';
import type { DaemonStatus } from '../src/runtime/daemon.js';

/** One folder per demo, so that two demos in one checkout do not share (and reload) one config file. */
const demoDir = path.join(repoRootDir, '.cache', 'demo', String(process.pid));
const configFile = path.join(demoDir, 'geo-replication.yaml');
const georepLogFile = path.join(demoDir, 'georep.log');
const ORIGIN_TOPICS = [
  { name: 'orders.created', partitions: 3 },
  { name: 'orders.shipped', partitions: 2 },
  { name: 'payments', partitions: 2 },
];
const PRODUCE_INTERVAL_MS = 1000;
const STATUS_INTERVAL_MS = 10_000;

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (!stop.signal.aborted) console.log('\nStopping the demo: georep, the producer, the clusters…');
    stop.abort();
  });
}

async function main(): Promise<void> {
  await mkdir(demoDir, { recursive: true });
  console.log('Starting two local Kafka clusters, london and frankfurt (the first run downloads Kafka)…');
  const run = await startClusters({
    count: 2,
    names: ['london', 'frankfurt'],
    signal: stop.signal,
    onProgress: (message) => console.log(`  ${message}`),
  });
  const [london, frankfurt] = run.clusters;
  let georep: ChildProcess | undefined;
  const clients: { close(): Promise<void> }[] = [];
  try {
    if (london === undefined || frankfurt === undefined)
      throw new Error('the harness started fewer clusters');
    console.log(`  london     ${london.bootstrap}\n  frankfurt  ${frankfurt.bootstrap}`);
    const [httpPort] = await findFreePorts(1);
    const httpAddress = `127.0.0.1:${httpPort}`;
    const template = await readFile(path.join(repoRootDir, 'examples', 'demo.yaml'), 'utf8');
    await writeFile(
      configFile,
      template
        .replace('$schema=../schemas/', `$schema=${path.join(repoRootDir, 'schemas')}/`)
        .replace('127.0.0.1:9092', london.bootstrap)
        .replace('127.0.0.1:9093', frankfurt.bootstrap)
        .replace('127.0.0.1:9787', httpAddress),
    );

    await withAdmin(london.bootstrap, (admin) =>
      createTopics(
        admin,
        ORIGIN_TOPICS.map((t) => ({ topic: t.name, partitions: t.partitions })),
      ),
    );
    const producer = recordWriter(london.bootstrap, { clientId: 'demo-producer' });
    clients.push(producer);
    void produceForever(producer);

    console.log(
      `\nRunning georep on ${path.relative(process.cwd(), configFile)} (its JSON log: ${path.relative(process.cwd(), georepLogFile)})`,
    );
    const log = createWriteStream(georepLogFile, { flags: 'a' });
    georep = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRootDir, 'src', 'cli', 'main.ts'), 'run', '-c', configFile],
      {
        cwd: repoRootDir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    georep.stdout?.pipe(log);
    georep.stderr?.pipe(log);
    const exited = new Promise<number | null>((resolve) => georep?.once('exit', (code) => resolve(code)));
    void exited.then((code) => {
      if (!stop.signal.aborted) {
        console.error(`georep exited with code ${code}; see ${georepLogFile}`);
        stop.abort();
      }
    });

    // Every london.* topic on frankfurt from its start, also those georep creates later: what an application
    // reading the copies (read_committed) would see.
    const reader = followTopics({
      brokers: frankfurt.bootstrap,
      match: (topic) => topic.startsWith('london.'),
      isolation: 'read_committed',
      onRecord: ({ topic, partition, offset, value }) => {
        console.log(`frankfurt  ${topic}[${partition}] offset ${offset}: ${value?.toString() ?? 'null'}`);
      },
    });
    clients.push(reader);
    console.log(
      '\nRecords produced on london arrive on frankfurt below. Try, in another terminal:\n' +
        `  edit ${configFile}  (add payments to include: the flow starts within a second)\n` +
        `  npx georep status --daemon ${httpAddress}\n` +
        'Ctrl-C stops everything.\n',
    );
    void printStatusForever(httpAddress);
    // georep may have exited (and aborted the demo) while the reader was setting up.
    if (!stop.signal.aborted) {
      await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
    }
    georep.kill('SIGTERM');
    const code = await exited;
    console.log(
      code === 0
        ? 'georep stopped after committing what it copied.'
        : `georep exited with code ${code}; see ${georepLogFile}`,
    );
  } finally {
    georep?.kill('SIGKILL');
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await run.stopAll();
    console.log('Demo stopped; no Kafka or georep process left running.');
  }
}

async function produceForever(producer: RecordWriter): Promise<void> {
  for (let sequence = 1; !stop.signal.aborted; sequence++) {
    for (const topic of ORIGIN_TOPICS) {
      await producer
        .send(topic.name, [
          {
            key: `customer-${sequence % 7}`,
            value: `${topic.name} #${sequence} at ${new Date().toISOString()}`,
          },
        ])
        .catch(() => undefined);
    }
    await sleep(PRODUCE_INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
  }
}

async function printStatusForever(httpAddress: string): Promise<void> {
  while (!stop.signal.aborted) {
    await sleep(STATUS_INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    if (stop.signal.aborted) return;
    try {
      const status = (await (await fetch(`http://${httpAddress}/status`)).json()) as DaemonStatus;
      console.log(`\n${renderStatusTable(status.flows)}`);
      // An edit of the copy that georep refused must not look like one that changed nothing.
      const rejectedReload = renderRejectedReload(status);
      if (rejectedReload !== '') process.stdout.write(rejectedReload);
    } catch {
      console.log('(georep /status did not answer)');
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (!stop.signal.aborted) console.error(error);
    process.exit(stop.signal.aborted ? 0 : 1);
  },
);
