// docs/acls.md shows the ACLs that test/integration/acls.test.ts grants: its table must hold the rows generated
// from test/support/georep-acls.ts, so that the documentation and the tested grants cannot drift apart.
// Cells are compared, not text: the formatter pads the table's columns.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { aclTableMarkdown } from '../support/georep-acls.js';

/** Each row's trimmed cells, without the header separator row. */
function cells(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
    .filter((row) => !row.every((cell) => /^:?-+:?$/.test(cell)));
}

test('docs/acls.md holds exactly the table of ACLs the least-privilege test grants', () => {
  const doc = readFileSync(new URL('../../docs/acls.md', import.meta.url), 'utf8');
  const table = /<!-- acl-table:start -->\n([\s\S]*?)\n<!-- acl-table:end -->/.exec(doc)?.[1];
  assert.ok(table !== undefined, 'docs/acls.md has the acl-table markers');
  assert.deepEqual(cells(table), cells(aclTableMarkdown()), 'regenerate the table with aclTableMarkdown()');
});
