// Command lines as every georep command parses them: an option of one value given twice is refused, not
// silently taken from its last occurrence; an empty value or argument (a template's unset variable) is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine, UsageError } from '../../../src/cli/command.js';
import { planCommand } from '../../../src/cli/plan.js';

const options = {
  config: { type: 'string', short: 'c' },
  topic: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

test('an option of one value given twice, by either name, is a usage error', () => {
  for (const args of [
    ['-c', 'a.yaml', '-c', 'b.yaml'],
    ['--config', 'a.yaml', '-c', 'b.yaml'],
    ['--config=a.yaml', '--config=b.yaml'],
  ]) {
    assert.throws(
      () => parseCommandLine({ args, options }),
      /--config is given more than once/,
      args.join(' '),
    );
  }
});

test('an empty value or argument is a usage error, whichever way it is given', () => {
  const cases: [string[], RegExp][] = [
    [['--config', ''], /--config is given an empty value/],
    [['-c', ''], /--config is given an empty value/],
    [['--config='], /--config is given an empty value/],
    [['--topic', 'x', '--topic', ''], /--topic is given an empty value/],
    [['-c', 'a.yaml', ''], /an argument is empty/],
  ];
  for (const [args, expected] of cases) {
    assert.throws(
      () => parseCommandLine({ args, options, allowPositionals: true }),
      (error: unknown) => error instanceof UsageError && expected.test(error.message),
      args.join(' '),
    );
  }
});

test('repeatable options and flags may repeat; the values are parsed as before', () => {
  const { values } = parseCommandLine({
    args: ['-c', 'a.yaml', '--topic', 'x', '--topic', 'y', '--json', '--json'],
    options,
  });
  assert.deepEqual({ ...values }, { config: 'a.yaml', topic: ['x', 'y'], json: true });
});

test('georep plan -c a -c b stops before reading either file', async () => {
  const io = { stdout: () => undefined, stderr: () => undefined, env: () => undefined };
  await assert.rejects(planCommand.run(['-c', 'a.yaml', '-c', 'b.yaml'], io), UsageError);
});
