import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandOnCpus, parseCpuList, splitCpus } from '../../harness/cpu-pinning.js';

describe('bench:wan --mirror-cpus', () => {
  const lists: [string, number[]][] = [
    ['1', [1]],
    ['2-3', [2, 3]],
    ['0, 2', [0, 2]],
    ['3,1-2,1', [1, 2, 3]],
  ];
  for (const [list, cpus] of lists) {
    test(`"${list}" is CPUs ${cpus.join(', ')}`, () => {
      assert.deepEqual(parseCpuList(list, '--mirror-cpus'), cpus);
    });
  }

  const wrongLists: [string, RegExp][] = [
    ['one', /--mirror-cpus: "one" is not a CPU or a range of CPUs like 2-3/],
    ['1,', /--mirror-cpus: "" is not a CPU/],
    [' ', /--mirror-cpus: give at least one CPU/],
    ['0-4000000000', /--mirror-cpus: CPU 4000000000 is beyond any machine's/],
    ['3-1', /--mirror-cpus: the range "3-1" runs backwards/],
  ];
  for (const [list, message] of wrongLists) {
    test(`"${list}" is refused`, () => {
      assert.throws(() => parseCpuList(list, '--mirror-cpus'), message);
    });
  }

  test('the mirror gets its CPUs and Kafka and the benchmark the others', () => {
    assert.deepEqual(splitCpus([1], [0, 1], '--mirror-cpus'), { mirror: '1', others: '0' });
    assert.deepEqual(splitCpus([2, 3], [0, 1, 2, 3], '--mirror-cpus'), { mirror: '2,3', others: '0,1' });
    // A process limited to some CPUs (a cgroup's cpuset, an outer taskset) splits those.
    assert.deepEqual(splitCpus([4], [2, 4, 6], '--mirror-cpus'), { mirror: '4', others: '2,6' });
  });

  test('a split that leaves a side without a CPU, or names one this process may not use, is refused', () => {
    assert.throws(
      () => splitCpus([0, 1], [0, 1], '--mirror-cpus'),
      /--mirror-cpus: leave at least one CPU for Kafka and the benchmark/,
    );
    assert.throws(
      () => splitCpus([1, 2], [0, 2], '--mirror-cpus'),
      /--mirror-cpus: this process may use CPUs 0,2, not 1/,
    );
  });

  test('a pinned command runs under taskset from its start; an unpinned one as it is', () => {
    assert.deepEqual(commandOnCpus('1', 'java', ['-Xmx1g']), {
      command: 'taskset',
      args: ['--cpu-list', '1', 'java', '-Xmx1g'],
    });
    assert.deepEqual(commandOnCpus(undefined, 'java', ['-Xmx1g']), { command: 'java', args: ['-Xmx1g'] });
  });
});
