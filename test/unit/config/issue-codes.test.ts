// Operators look issue codes up in docs/configuration.md; this keeps its table and the code's table in step, as
// Fastify's error-code test does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ISSUE_CODES } from '../../../src/config/issues.js';

test("docs/configuration.md's issue-code table lists every code with its meaning, and nothing else", () => {
  const page = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  // From its heading to the next section, which may hold tables of its own.
  const start = page.indexOf('## Issue codes');
  assert.notEqual(start, -1, 'docs/configuration.md has a section "Issue codes"');
  const end = page.indexOf('\n## ', start + 1);
  const section = page.slice(start, end === -1 ? undefined : end);
  const rows = [...section.matchAll(/^\| `([A-Z_]+)` +\| (.*?) *\|$/gm)].map(([, code, meaning]) => [
    code,
    meaning,
  ]);
  assert.deepEqual(rows, Object.entries(ISSUE_CODES));
});
