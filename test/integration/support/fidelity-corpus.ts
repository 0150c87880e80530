// The fidelity corpus through Kafka's own Java client (test/java/FidelityCorpus.java): writes the corpus to
// an origin, reads topics back record by record, describes topics. Neither georep's code nor a JavaScript
// Kafka client runs here, so what these functions report is an independent view of both clusters.
//
// The Java file is compiled with javac against the Kafka version's cached jars (kafka-clients is among them)
// into .cache/java-classes/<digest>/, keyed by the source and the Kafka version, so only the first run of a
// changed file pays for the compiler.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { killJava, spawnJava } from '../../../harness/java-process.js';
import { ensureKafkaJars } from '../../../harness/kafka-jars.js';
import { type KafkaVersion, kafkaVersionProfile, repoRootDir } from '../../../harness/versions.js';

const SOURCE_FILE = path.join(repoRootDir, 'test', 'java', 'FidelityCorpus.java');
const MAIN_CLASS = 'FidelityCorpus';
const CLASSES_CACHE_DIR = path.join(repoRootDir, '.cache', 'java-classes');
const RUN_TIMEOUT_MS = 150_000;

/** One corpus topic as the producer made it: `kind` says what it covers, `configs` were set on the origin topic. */
export interface CorpusTopic {
  readonly name: string;
  readonly kind: string;
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface CorpusManifest {
  readonly topics: readonly CorpusTopic[];
  /** Every record of an aborted transaction has a value starting with this. */
  readonly abortedValuePrefix: string;
}

export interface DumpedHeader {
  readonly key: string;
  /** base64, or null for a null value. */
  readonly value: string | null;
}

/** A record as Kafka's Java consumer returned it; bytes are base64 so that equal strings mean equal bytes. */
export interface DumpedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestampType: 'CreateTime' | 'LogAppendTime' | 'NoTimestampType';
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: readonly DumpedHeader[];
}

/** A topic as Kafka's Admin client describes it; `configs` holds only configs set on the topic itself. */
export interface DescribedTopic {
  readonly topic: string;
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

const compiled = new Map<KafkaVersion, Promise<string>>();

/** The folder of FidelityCorpus's classes for `version`, compiling them if the cache lacks them. */
function compiledClassesDir(version: KafkaVersion, signal: AbortSignal): Promise<string> {
  let classesDir = compiled.get(version);
  if (classesDir === undefined) {
    classesDir = compile(version, signal);
    compiled.set(version, classesDir);
    classesDir.catch(() => compiled.delete(version));
  }
  return classesDir;
}

async function compile(version: KafkaVersion, signal: AbortSignal): Promise<string> {
  const libsDir = await ensureKafkaJars(version, { signal });
  const source = await readFile(SOURCE_FILE);
  const digest = createHash('sha256').update(source).update(`\0kafka ${version}`).digest('hex').slice(0, 20);
  const classesDir = path.join(CLASSES_CACHE_DIR, digest);
  if (existsSync(path.join(classesDir, `${MAIN_CLASS}.class`))) return classesDir;
  // Compiled into a folder of its own and renamed into place, so a half-compiled folder is never used.
  const stagingDir = `${classesDir}.partial-${process.pid}`;
  await rm(stagingDir, { recursive: true, force: true });
  await mkdir(stagingDir, { recursive: true });
  try {
    await promisify(execFile)(
      'javac',
      ['--release', '17', '-encoding', 'UTF-8', '-d', stagingDir, '-cp', `${libsDir}/*`, SOURCE_FILE],
      { signal, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    await rm(stagingDir, { recursive: true, force: true });
    const output = error as { stdout?: string; stderr?: string };
    throw new Error(`javac ${SOURCE_FILE} failed:\n${output.stderr ?? ''}${output.stdout ?? ''}`, {
      cause: error,
    });
  }
  try {
    await rename(stagingDir, classesDir);
  } catch (error) {
    // Another test process compiled the same source first; its classes are as good as ours.
    await rm(stagingDir, { recursive: true, force: true });
    if (!existsSync(path.join(classesDir, `${MAIN_CLASS}.class`))) throw error;
  }
  return classesDir;
}

let runs = 0;

async function runCorpusTool(version: KafkaVersion, args: readonly string[], signal: AbortSignal) {
  const classesDir = await compiledClassesDir(version, signal);
  const libsDir = await ensureKafkaJars(version, { signal });
  const profile = kafkaVersionProfile(version);
  signal.throwIfAborted();
  runs += 1;
  const jvm = spawnJava(
    {
      libsDir,
      classpathBefore: [classesDir],
      mainClass: MAIN_CLASS,
      args,
      // Large records are held as bytes and as base64 text at once.
      heap: { initialMb: 64, maxMb: 384 },
      jvmOptions: [profile.logConfigOption(profile.toolLogConfigFile)],
      marker: `fidelity-corpus-p${process.pid}-${runs}`,
    },
    { output: 'pipe' },
  );
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  jvm.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  jvm.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const closed = once(jvm, 'close');
  const stopped = AbortSignal.any([signal, AbortSignal.timeout(RUN_TIMEOUT_MS)]);
  const onStopped = () => void killJava(jvm);
  stopped.addEventListener('abort', onStopped, { once: true });
  try {
    await closed;
  } finally {
    stopped.removeEventListener('abort', onStopped);
  }
  if (jvm.exitCode !== 0) {
    const why = stopped.aborted ? 'was stopped (aborted or timed out)' : `exited with ${jvm.exitCode}`;
    throw new Error(
      `Kafka ${version} FidelityCorpus ${args.join(' ')} ${why}:\n${Buffer.concat(stderr).toString().slice(-4000)}`,
    );
  }
  return Buffer.concat(stdout).toString('utf8');
}

function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Creates the corpus topics `<prefix>.<kind>` on the cluster and writes the corpus with Kafka's Java producer. */
export async function produceCorpus(options: {
  version: KafkaVersion;
  bootstrap: string;
  prefix: string;
  signal: AbortSignal;
}): Promise<CorpusManifest> {
  const stdout = await runCorpusTool(
    options.version,
    ['produce', '--bootstrap', options.bootstrap, '--prefix', options.prefix],
    options.signal,
  );
  const [manifest] = jsonLines<CorpusManifest>(stdout);
  if (manifest === undefined) throw new Error(`FidelityCorpus produce printed no manifest:\n${stdout}`);
  return manifest;
}

/** Every record of the topics, from each partition's first offset to its end, in partition and offset order. */
export async function dumpTopics(options: {
  version: KafkaVersion;
  bootstrap: string;
  topics: readonly string[];
  isolation?: IsolationLevel;
  signal: AbortSignal;
}): Promise<DumpedRecord[]> {
  const stdout = await runCorpusTool(
    options.version,
    [
      'dump',
      '--bootstrap',
      options.bootstrap,
      '--topics',
      options.topics.join(','),
      '--isolation',
      options.isolation ?? 'read_committed',
    ],
    options.signal,
  );
  return jsonLines<DumpedRecord>(stdout);
}

export async function describeTopics(options: {
  version: KafkaVersion;
  bootstrap: string;
  topics: readonly string[];
  signal: AbortSignal;
}): Promise<DescribedTopic[]> {
  const stdout = await runCorpusTool(
    options.version,
    ['describe', '--bootstrap', options.bootstrap, '--topics', options.topics.join(',')],
    options.signal,
  );
  return jsonLines<DescribedTopic>(stdout);
}

/** Deletes topics and consumer groups: clean-up on clusters the test did not start. */
export async function deleteTopicsAndGroups(options: {
  version: KafkaVersion;
  bootstrap: string;
  topics: readonly string[];
  groups: readonly string[];
  signal: AbortSignal;
}): Promise<void> {
  await runCorpusTool(
    options.version,
    [
      'delete',
      '--bootstrap',
      options.bootstrap,
      '--topics',
      options.topics.join(','),
      ...(options.groups.length === 0 ? [] : ['--groups', options.groups.join(',')]),
    ],
    options.signal,
  );
}
