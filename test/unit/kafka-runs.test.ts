// The harness's run folders: a folder whose process still runs is never pruned, whatever its age, since a test
// file run beside others may outlast many of their runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newRunId, startedByLiveProcess } from '../../harness/kafka-runs.js';

test('a run folder names its process, and is known as live while that process runs', () => {
  const runId = newRunId('4.1.2');
  assert.match(runId, new RegExp(`^\\d{8}T\\d{6}-4\\.1\\.2-p${process.pid}-\\d+$`));
  assert.equal(startedByLiveProcess(runId), true);
  assert.equal(startedByLiveProcess(`20261207T010000-4.1.2-p${2 ** 22 + 1}-1`), false, 'no such pid');
  assert.equal(startedByLiveProcess('a-folder-of-someone-else'), false);
});
