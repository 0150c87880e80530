// examples/prometheus/georep-alerts.yml, the alerts docs/operations.md recommends, checked by Prometheus's promtool:
// the rules load, they fire on the series of an outage (georep-alerts.test.yml) and only then, and every
// georep metric they use is one the daemon exposes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Metrics } from '../../src/observability/metrics.js';
import { commandMissing } from './support/commands.js';

const runFile = promisify(execFile);
const rulesDir = path.resolve(import.meta.dirname, '..', '..', 'examples', 'prometheus');

describe('Prometheus alerting rules in examples/prometheus', {
  skip: commandMissing('promtool', 'apt-get install prometheus'),
}, () => {
  test('promtool check rules accepts them', async () => {
    const { stdout } = await runFile('promtool', ['check', 'rules', 'georep-alerts.yml'], { cwd: rulesDir });
    assert.match(stdout, /SUCCESS: 5 rules found/);
  });

  test('promtool test rules: each alert fires on an outage and stays quiet on a blip', async () => {
    const result = await runFile('promtool', ['test', 'rules', 'georep-alerts.test.yml'], {
      cwd: rulesDir,
    }).catch((error: { stdout: string; stderr: string }) => assert.fail(`${error.stdout}${error.stderr}`));
    assert.match(result.stdout, /SUCCESS/);
  });

  test('every georep metric the rules use is one georep exposes', async () => {
    const rules = readFileSync(path.join(rulesDir, 'georep-alerts.yml'), 'utf8');
    const used = new Set(
      [...rules.matchAll(/\b(georep_[a-z_]+)/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, '')),
    );
    const { body } = await new Metrics().exposition();
    const exposed = new Set([...body.matchAll(/^# TYPE (georep_[a-z_]+) /gm)].map((match) => match[1]));
    assert.ok(used.size >= 4);
    for (const name of used) assert.ok(exposed.has(name), `${name} is not a georep metric`);
  });
});
