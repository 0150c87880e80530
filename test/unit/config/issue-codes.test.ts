// Operators look issue codes up in the README; this keeps its table and the code's table in step, as
// Fastify's error-code test does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ISSUE_CODES } from '../../../src/config/issues.js';

test("the README's issue-code table lists every code with its meaning, and nothing else", () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  // From its heading to the next top-level section, which may hold tables of its own.
  const start = readme.indexOf('### Issue codes');
  const end = readme.indexOf('\n## ', start);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const rows = [...section.matchAll(/^\| `([A-Z_]+)` +\| (.*?) *\|$/gm)].map(([, code, meaning]) => [
    code,
    meaning,
  ]);
  assert.deepEqual(rows, Object.entries(ISSUE_CODES));
});
