import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { Secret } from '../../src/config/types.js';
import { createLogger, withFlatBindings } from '../../src/observability/logger.js';

function capturingLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

describe('logger', () => {
  test('writes one JSON object per line with a textual level and the flow context of a child logger', () => {
    const { logger, lines } = capturingLogger();
    logger.child({ flow: 'london/orders -> frankfurt/london.orders' }).info({ records: 3 }, 'mirrored');
    const entry = JSON.parse(lines[0] ?? '');
    assert.equal(entry.level, 'info');
    assert.equal(entry.msg, 'mirrored');
    assert.equal(entry.flow, 'london/orders -> frankfurt/london.orders');
    assert.equal(entry.records, 3);
  });

  test('never writes a secret, whether it is a Secret object or a plain password field at any depth', () => {
    const { logger, lines } = capturingLogger();
    const secret = new Secret('hunter2-lon', '${file:/etc/georep/lon.pass}');
    logger.info({ cluster: { sasl: { mechanism: 'plain', password: secret } } }, 'connecting');
    logger.info({ password: 'hunter2-plain' }, 'top level');
    logger.info({ clusters: { london: { sasl: { password: 'hunter2-deep' } } } }, 'deep');
    logger.info({ tls: { key: 'PRIVATE KEY' } }, 'tls');
    const output = lines.join('\n');
    for (const leaked of ['hunter2-lon', 'hunter2-plain', 'hunter2-deep', 'PRIVATE KEY']) {
      assert.equal(output.includes(leaked), false, `${leaked} leaked: ${output}`);
    }
    assert.equal(lines.length, 4);
  });
});

test('a child logger whose bindings were joined writes the same lines, and so do its own children', () => {
  const { logger, lines } = capturingLogger();
  const bindings = { flow: 'london/orders -> frankfurt/london.orders', replication: 'r', topic: 'orders' };
  logger.child(bindings).info('as pino builds it');
  const joined = withFlatBindings(logger.child(bindings));
  joined.info('joined');
  joined.child({ partition: 3 }).info('grandchild');
  const [built, flat, grandchild] = lines.map((line) => JSON.parse(line));
  assert.deepEqual({ ...flat, time: built.time, msg: built.msg }, built);
  assert.deepEqual([grandchild.flow, grandchild.topic, grandchild.partition], [bindings.flow, 'orders', 3]);
});
