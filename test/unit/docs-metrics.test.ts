// docs/operations.md lists georep's metrics for operators; this keeps its table and what /metrics exposes in
// step (name and type), so that a metric added, renamed or retyped in code shows up in the docs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Metrics } from '../../src/observability/metrics.js';

test("docs/operations.md's metrics table lists every georep metric /metrics exposes, with its type", async () => {
  const page = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const documented = [...page.matchAll(/^\| `(georep_\w+)` +\| (\w+) +\|/gm)].map(
    ([, name, type]) => `${name} ${type}`,
  );
  const { body } = await new Metrics().exposition();
  const exposed = [...body.matchAll(/^# TYPE (georep_\w+) (\w+)$/gm)].map(
    ([, name, type]) => `${name} ${type}`,
  );
  assert.deepEqual(documented.sort(), exposed.sort());
});
