import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findFreePorts, portBlock } from '../../harness/free-ports.js';
import { javaArguments, processHasMarker } from '../../harness/java-process.js';

describe('JVM command lines of the harness', () => {
  const command = {
    libsDir: '/cache/kafka/4.1.2/libs',
    mainClass: 'kafka.Kafka',
    args: ['/run/a/server.properties'],
    heap: { initialMb: 256, maxMb: 512 },
    jvmOptions: ['-Dkafka.logs.dir=/run/a/logs'],
    marker: 'run-1-a',
  };

  test('give every JVM an explicit heap and the marker, before the main class', () => {
    const args = javaArguments(command);
    assert.deepEqual(args.slice(0, 2), ['-Xms256m', '-Xmx512m']);
    const mainClassIndex = args.indexOf('kafka.Kafka');
    assert.ok(args.indexOf('-Dgeorep.harness=run-1-a') < mainClassIndex);
    assert.ok(args.indexOf('-Dkafka.logs.dir=/run/a/logs') < mainClassIndex);
    assert.deepEqual(args.slice(mainClassIndex - 2), [
      '-cp',
      '/cache/kafka/4.1.2/libs/*',
      'kafka.Kafka',
      '/run/a/server.properties',
    ]);
  });

  test("run every JVM with the GC options of Kafka's own launch script, not the JVM's 200 ms pause target", () => {
    const args = javaArguments(command);
    assert.ok(args.includes('-XX:+UseG1GC'));
    assert.ok(args.includes('-XX:MaxGCPauseMillis=20'));
    assert.ok(args.indexOf('-XX:MaxGCPauseMillis=20') < args.indexOf('kafka.Kafka'));
  });

  test('put classes compiled by a test before the Kafka jars on the classpath', () => {
    const args = javaArguments({ ...command, classpathBefore: ['/cache/java-classes/abc'] });
    assert.equal(args[args.indexOf('-cp') + 1], '/cache/java-classes/abc:/cache/kafka/4.1.2/libs/*');
  });

  test('reject a marker that a shell or a /proc check could misread', () => {
    assert.throws(() => javaArguments({ ...command, marker: 'run 1' }), /invalid JVM marker/);
  });

  test('a pid is only ours while its command line carries our marker', () => {
    assert.equal(processHasMarker(process.pid, 'not-on-this-command-line'), false);
    assert.equal(processHasMarker(2 ** 22 + 1, 'any'), false);
  });
});

describe('free loopback ports', () => {
  test('are distinct even when asked for many at once, in their block, below the ephemeral ports', async () => {
    const ports = await findFreePorts(20);
    assert.equal(new Set(ports).size, 20);
    const [first, end] = portBlock();
    for (const port of ports) assert.ok(port >= first && port < end && port < 32_768, `port ${port}`);
  });

  test('test files run side by side have blocks of their own; a block that is not one is refused', () => {
    const blocks = [0, 1, 2].map((block) => portBlock({ GEOREP_TEST_PORT_BLOCK: String(block) }));
    assert.deepEqual(blocks, [
      [12_000, 16_000],
      [16_000, 20_000],
      [20_000, 24_000],
    ]);
    assert.deepEqual(portBlock({}), [12_000, 16_000]);
    assert.throws(() => portBlock({ GEOREP_TEST_PORT_BLOCK: '5' }), /must be 0 to 4, not 5/);
  });
});
