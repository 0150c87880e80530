// The schema is what editors show operators; these tests keep it complete and in step with the code.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CLUSTER_DEFAULTS,
  DAEMON_DEFAULTS,
  REPLICATION_DEFAULTS,
  TLS_DEFAULTS,
} from '../../../src/config/defaults.js';
import { loadSchema } from '../../../src/config/schema-check.js';
import { COMPRESSION_SETTINGS } from '../../../src/config/types.js';

type Schema = Record<string, unknown>;

const schema = loadSchema();
const definitions = schema.$defs as Record<string, Schema>;

function propertiesOf(definition: string): Record<string, Schema> {
  return definitions[definition]?.properties as Record<string, Schema>;
}

/** Every schema object in the document with the JSON path that leads to it. */
function* walk(node: unknown, path: string): Generator<[string, Schema]> {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
  yield [path, node as Schema];
  for (const [key, child] of Object.entries(node)) {
    if (key === 'examples' || key === 'default') continue;
    yield* walk(child, `${path}/${key}`);
  }
}

describe('the schema', () => {
  test('describes every field', () => {
    const undescribed: string[] = [];
    for (const [path, node] of walk(schema, '#')) {
      for (const [name, property] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
        const target =
          typeof property.$ref === 'string' ? definitions[property.$ref.replace('#/$defs/', '')] : undefined;
        if (typeof property.description !== 'string' && typeof target?.description !== 'string') {
          undescribed.push(`${path}/properties/${name}`);
        }
      }
    }
    assert.deepEqual(undescribed, []);
  });

  test('refuses unknown fields in every mapping it defines', () => {
    const open: string[] = [];
    for (const [path, node] of walk(schema, '#')) {
      if (node.properties !== undefined && node.additionalProperties !== false) open.push(path);
    }
    assert.deepEqual(open, []);
  });

  test('states the same defaults as the loader applies', () => {
    const cluster = propertiesOf('cluster');
    assert.equal(cluster.connectionTimeoutMs?.default, CLUSTER_DEFAULTS.connectionTimeoutMs);
    assert.equal(cluster.requestTimeoutMs?.default, CLUSTER_DEFAULTS.requestTimeoutMs);
    assert.equal(propertiesOf('tls').rejectUnauthorized?.default, TLS_DEFAULTS.rejectUnauthorized);
    const replication = propertiesOf('replication');
    assert.equal(definitions.naming?.default, REPLICATION_DEFAULTS.naming);
    const prefix = (propertiesOf('naming').prefix?.properties as Record<string, Schema> | undefined)
      ?.separator;
    assert.equal(prefix?.default, REPLICATION_DEFAULTS.prefixSeparator);
    assert.equal(replication.loopPrevention?.default, REPLICATION_DEFAULTS.loopPrevention);
    assert.equal(replication.start?.default, REPLICATION_DEFAULTS.start);
    assert.equal(replication.delivery?.default, REPLICATION_DEFAULTS.delivery);
    assert.equal(replication.compression?.default, REPLICATION_DEFAULTS.compression);
    assert.deepEqual(replication.compression?.enum, COMPRESSION_SETTINGS);
    assert.equal(replication.maxBytesPerSecond?.default, REPLICATION_DEFAULTS.maxBytesPerSecond);
    assert.equal(replication.paused?.default, REPLICATION_DEFAULTS.paused);
    assert.equal(replication.replicationFactor?.default, REPLICATION_DEFAULTS.replicationFactor);
    assert.equal(replication.onOriginTopicDeleted?.default, REPLICATION_DEFAULTS.onOriginTopicDeleted);
    const daemon = propertiesOf('daemon');
    for (const [name, value] of Object.entries(DAEMON_DEFAULTS)) {
      assert.deepEqual(daemon[name]?.default, value, `daemon.${name}`);
    }
    assert.deepEqual(Object.keys(daemon).sort(), Object.keys(DAEMON_DEFAULTS).sort());
  });
});
