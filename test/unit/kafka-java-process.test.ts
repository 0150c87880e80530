import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findFreePorts } from '../../harness/free-ports.js';
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
  test('are distinct even when asked for many at once', async () => {
    const ports = await findFreePorts(20);
    assert.equal(new Set(ports).size, 20);
    for (const port of ports) assert.ok(port > 0 && port < 65536);
  });
});
