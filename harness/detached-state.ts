// The state file of clusters started with `npm run kafka -- up --detach`, read by `npm run kafka -- down`.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KafkaVersion } from './versions.js';
import { repoRootDir } from './versions.js';

export const detachedStateFile = path.join(repoRootDir, '.cache', 'kafka-runs', 'detached.json');

export interface DetachedCluster {
  name: string;
  bootstrap: string;
  pid: number;
  marker: string;
  serverLogFile: string;
}

export interface DetachedState {
  runId: string;
  version: KafkaVersion;
  clusters: DetachedCluster[];
}

export async function readDetachedState(): Promise<DetachedState | undefined> {
  if (!existsSync(detachedStateFile)) return undefined;
  return JSON.parse(await readFile(detachedStateFile, 'utf8')) as DetachedState;
}

export async function writeDetachedState(state: DetachedState): Promise<void> {
  await writeFile(detachedStateFile, `${JSON.stringify(state, null, 2)}\n`);
}

export async function removeDetachedState(): Promise<void> {
  await rm(detachedStateFile, { force: true });
}
