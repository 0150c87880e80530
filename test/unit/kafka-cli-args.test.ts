import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseKafkaCliArgs, UsageError } from '../../harness/cli-args.js';

describe('npm run kafka -- … command line', () => {
  test('up starts two clusters of the default version in the foreground unless told otherwise', () => {
    assert.deepEqual(parseKafkaCliArgs(['up'], {}), {
      command: 'up',
      clusters: 2,
      version: '4.1.2',
      detach: false,
    });
    assert.deepEqual(parseKafkaCliArgs(['up', '--clusters', '3', '--version', '3.9.1', '--detach'], {}), {
      command: 'up',
      clusters: 3,
      version: '3.9.1',
      detach: true,
    });
  });

  test('GEOREP_KAFKA_VERSION chooses the version when --version is absent', () => {
    const parsed = parseKafkaCliArgs(['up'], { GEOREP_KAFKA_VERSION: '3.9.1' });
    assert.equal(parsed.command === 'up' && parsed.version, '3.9.1');
  });

  test('fetch takes one version or all of them', () => {
    assert.deepEqual(parseKafkaCliArgs(['fetch', '--all'], {}), {
      command: 'fetch',
      versions: ['3.9.1', '4.1.2'],
    });
    assert.deepEqual(parseKafkaCliArgs(['fetch', '--version', '3.9.1'], {}), {
      command: 'fetch',
      versions: ['3.9.1'],
    });
  });

  test('--help wins over everything else', () => {
    assert.deepEqual(parseKafkaCliArgs(['up', '--help'], {}), { command: 'help' });
    assert.deepEqual(parseKafkaCliArgs(['-h'], {}), { command: 'help' });
  });

  const usageErrors: Array<[string[], RegExp]> = [
    [[], /no command/],
    [['start'], /unknown command "start"/],
    [['up', '--clusters', '0'], /--clusters must be a whole number from 1 to 8/],
    [['up', '--clusters', 'two'], /--clusters must be/],
    [['up', '--version', '2.8.0'], /"2\.8\.0" is not supported; use one of 3\.9\.1, 4\.1\.2/],
    [['up', '--port', '9092'], /Unknown option '--port'/],
    [['down', '--clusters', '2'], /--clusters does not apply to "down"/],
    [['fetch', '--all', '--version', '3.9.1'], /not both/],
    [['up', 'extra'], /unexpected argument "extra"/],
  ];
  for (const [argv, message] of usageErrors) {
    test(`rejects \`${argv.join(' ')}\` as a usage error`, () => {
      assert.throws(
        () => parseKafkaCliArgs(argv, {}),
        (error: unknown) => {
          assert.ok(error instanceof UsageError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});
