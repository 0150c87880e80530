// Gathers each Kafka version's jars from Maven Central once, into a cache folder keyed by version:
// ${XDG_CACHE_HOME:-~/.cache}/georep/kafka/<version>/libs. Maven keeps its own copy in ~/.m2 as usual.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type KafkaVersion, kafkaVersionProfile } from './versions.js';

/** Written last into a libs folder: its absence means an interrupted download, its content the POM it came from. */
const COMPLETE_MARKER = '.georep-complete';

export function kafkaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'georep', 'kafka');
}

export function kafkaLibsDir(version: KafkaVersion, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(kafkaCacheDir(env), version, 'libs');
}

async function pomDigest(pomFile: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(pomFile))
    .digest('hex');
}

/** True when the cached jars of this version are complete and came from the POM as it is now. */
export async function kafkaJarsCached(version: KafkaVersion): Promise<boolean> {
  const marker = path.join(kafkaLibsDir(version), COMPLETE_MARKER);
  if (!existsSync(marker)) return false;
  const pomFile = path.join(kafkaVersionProfile(version).folder, 'pom.xml');
  return (await readFile(marker, 'utf8')).trim() === (await pomDigest(pomFile));
}

export interface EnsureKafkaJarsOptions {
  signal?: AbortSignal;
  /** Told once when a download starts (it takes a while on a cold machine). */
  onDownload?: (message: string) => void;
}

/**
 * Returns the folder holding every jar of the version, downloading them first if the cache lacks them or
 * the POM changed since. Maven writes into a temporary folder that is renamed into place when complete, so
 * an interrupted download is never used.
 */
export async function ensureKafkaJars(
  version: KafkaVersion,
  options: EnsureKafkaJarsOptions = {},
): Promise<string> {
  const libsDir = kafkaLibsDir(version);
  if (await kafkaJarsCached(version)) return libsDir;

  const pomFile = path.join(kafkaVersionProfile(version).folder, 'pom.xml');
  const stagingDir = `${libsDir}.partial-${process.pid}`;
  await rm(stagingDir, { recursive: true, force: true });
  await mkdir(path.dirname(libsDir), { recursive: true });
  options.onDownload?.(`Gathering the jars of Kafka ${version} with Maven into ${libsDir}`);
  await runMaven(
    [
      '-B',
      '-q',
      '-Dstyle.color=never',
      '-f',
      pomFile,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${stagingDir}`,
    ],
    options.signal,
  );
  await writeFile(path.join(stagingDir, COMPLETE_MARKER), `${await pomDigest(pomFile)}\n`);
  if (await kafkaJarsCached(version)) {
    // Another process (a test file run beside this one) finished first, and may be starting JVMs from it.
    await rm(stagingDir, { recursive: true, force: true });
    return libsDir;
  }
  await rm(libsDir, { recursive: true, force: true });
  try {
    await rename(stagingDir, libsDir);
  } catch (error) {
    // Another process finished the same download first; its folder is as good as ours.
    await rm(stagingDir, { recursive: true, force: true });
    if (!(await kafkaJarsCached(version))) throw error;
  }
  return libsDir;
}

function runMaven(args: string[], signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const maven = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let output = '';
    maven.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    maven.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    maven.on('error', (error) => {
      const hint = (error as NodeJS.ErrnoException).code === 'ENOENT' ? ' (is Maven installed?)' : '';
      reject(new Error(`could not run mvn${hint}: ${error.message}`));
    });
    maven.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`mvn ${args.join(' ')} failed with exit code ${code}:\n${output.slice(-4000)}`));
    });
  });
}
