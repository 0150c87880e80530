// `georep offsets` command lines that need no Kafka: usage errors exit 2, and a group that no replication
// follows exits 1 naming the file, before any cluster is contacted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { georepInProcess as georep } from '../../support/run-cli.js';

// The command line runs in-process (test/support/run-cli.ts), with paths relative to the checkout.
process.chdir(fileURLToPath(new URL('../../../', import.meta.url)));

describe('georep offsets', () => {
  test('--help documents the exit statuses and exits 0', async () => {
    const { status, stdout } = await georep(['offsets', '--help']);
    assert.equal(status, 0);
    assert.match(stdout, /^usage: georep offsets --config FILE --group GROUP/);
    assert.match(stdout, /--apply/);
  });

  test('a missing --group is a usage error: exit 2 with the usage', async () => {
    const { status, stderr } = await georep(['offsets', '-c', 'examples/disaster-recovery.yaml']);
    assert.equal(status, 2);
    assert.match(stderr, /georep offsets: --group GROUP is required/);
  });

  test('a group that no replication follows: exit 1, naming the file', async () => {
    const { status, stderr } = await georep([
      'offsets',
      '-c',
      'examples/disaster-recovery.yaml',
      '--group',
      'billing-test',
    ]);
    assert.equal(status, 1);
    assert.equal(
      stderr,
      'georep offsets: no replication in examples/disaster-recovery.yaml follows group "billing-test" (see replications[].groups)\n',
    );
  });
});
