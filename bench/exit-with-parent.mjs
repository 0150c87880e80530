// Preloaded (node --import) into a georep process that a benchmark starts, and no part of georep: the
// benchmark holds this process's stdin, so when the benchmark ends in any way — SIGKILL included — stdin
// closes and georep gets SIGTERM, stopping as on Ctrl-C. No georep is left behind by a benchmark.
// --import also runs in georep's worker threads (the config loader), whose stdin is no pipe: main thread only.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
  // Reading stdin must not keep georep alive on its own.
  process.stdin.unref();
}
