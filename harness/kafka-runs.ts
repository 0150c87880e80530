// The folders of the harness's runs under .cache/kafka-runs: one per startClusters, named by when, which Kafka
// and which process, kept for their logs after the run (the last KEPT_RUNS of them).
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { readDetachedState } from './detached-state.js';
import { type KafkaVersion, repoRootDir } from './versions.js';

/** Older run folders beyond this many are deleted when a new run starts. */
const KEPT_RUNS = 20;

export const kafkaRunsDir = path.join(repoRootDir, '.cache', 'kafka-runs');

let runsStartedByThisProcess = 0;

export function newRunId(version: KafkaVersion): string {
  const timestamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  runsStartedByThisProcess += 1;
  return `${timestamp}-${version}-p${process.pid}-${runsStartedByThisProcess}`;
}

/**
 * Deletes the oldest run folders beyond KEPT_RUNS, except the new run, one started with --detach and those of a
 * process still running: a test file run beside others (scripts/run-tests.sh) may outlast 20 of their runs.
 */
export async function pruneOldRuns(newRunId: string): Promise<void> {
  if (!existsSync(kafkaRunsDir)) return;
  // Read while `up --detach` or `down` may be writing it: unreadable, it keeps nothing more.
  const detached = await readDetachedState().catch(() => undefined);
  const keepRunIds = new Set([newRunId, detached?.runId]);
  const entries = await readdir(kafkaRunsDir, { withFileTypes: true });
  const runIds = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const stale = runIds
    .slice(0, Math.max(0, runIds.length - KEPT_RUNS))
    .filter((id) => !keepRunIds.has(id) && !startedByLiveProcess(id));
  await Promise.all(stale.map((id) => rm(path.join(kafkaRunsDir, id), { recursive: true, force: true })));
}

/** Whether the process whose pid a run id names (`…-p1234-1`, newRunId) still runs. */
export function startedByLiveProcess(runId: string): boolean {
  const pid = Number(/-p(\d+)-\d+$/.exec(runId)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
