// Operators look issue codes up in the README; this keeps its table and the code's table in step, as
// Fastify's error-code test does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ISSUE_CODES } from '../../../src/config/issues.js';

test("the README's issue-code table lists every code with its meaning, and nothing else", () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Issue codes'));
  const rows = [...section.matchAll(/^\| `([A-Z_]+)` +\| (.*?) *\|$/gm)].map(([, code, meaning]) => [
    code,
    meaning,
  ]);
  assert.deepEqual(rows, Object.entries(ISSUE_CODES));
});
