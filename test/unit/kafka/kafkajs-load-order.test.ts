// Runs in its own process (Node's test runner isolates files), so kafkajs's own record codec can be loaded
// first, as a stray produce or fetch before georep's loader would do.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { KafkaClientIncompatible } from '../../../src/kafka/errors.js';
import { loadKafkajs, recordCodecPatchActive } from '../../../src/kafka/kafkajs/load-kafkajs.js';

test('loading kafkajs fails loudly when kafkajs already loaded its own record codec', () => {
  createRequire(import.meta.url)('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
  assert.throws(() => loadKafkajs(), KafkaClientIncompatible);
  assert.equal(recordCodecPatchActive(), false);
});
