import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatIssue } from '../../../src/config/issues.js';
import { loadConfigFile } from '../../../src/config/load.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const EXPECTED = [
  'active-active.yaml',
  'demo.yaml',
  'disaster-recovery.yaml',
  'fan-out.yaml',
  'minimal.yaml',
  'tls-sasl.yaml',
];

describe('the examples', () => {
  test('are the documented set', () => {
    assert.deepEqual(
      readdirSync(EXAMPLES)
        .filter((name) => name.endsWith('.yaml'))
        .sort(),
      EXPECTED,
    );
  });

  for (const example of EXPECTED) {
    test(`${example} is valid, without warnings, and names the schema for editors`, () => {
      const result = loadConfigFile(`${EXAMPLES}${example}`, { env: () => undefined });
      const issues = 'unreadable' in result ? [] : result.ok ? result.warnings : result.issues;
      // git checks the example secrets out readable by everyone (0644); an installed copy is not.
      const fromCheckout = issues.filter((issue) => issue.code !== 'SECRET_FILE_READABLE');
      assert.deepEqual(fromCheckout.map(formatIssue), []);
      assert.equal(result.ok, true);
      assert.match(
        readFileSync(`${EXAMPLES}${example}`, 'utf8'),
        /^# yaml-language-server: \$schema=\.\.\/schemas\/geo-replication\.schema\.json\n/,
      );
    });
  }
});
