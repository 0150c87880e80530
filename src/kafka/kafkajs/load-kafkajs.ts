// The one place georep loads kafkajs, and the three corrections and one speed-up it makes to kafkajs 2.2.4
// before any use.
//
// 1. Record headers (fidelity). kafkajs decodes a record's headers into an object (repeated keys grouped,
//    order between keys lost, integer-like keys moved first) and its encoder throws on a null header value.
//    Both live in two small modules, the record encoder and decoder. We put our own byte-exact stand-ins
//    (record-codec-patch.ts) into Node's CommonJS module cache under those modules' file names before kafkajs
//    first requires them; kafkajs then uses ours. Node documents adding entries to require.cache as
//    supported. Why this rather than editing files in node_modules on install (patch-package): it cannot be
//    skipped by `npm ci --ignore-scripts`, a global install, or an install-script policy; it needs no
//    install-time dependency; and it is checked where it matters, at run time: the kafkajs version must be
//    exactly the one the stand-ins were written against (package.json pins it), and loading fails loudly if
//    kafkajs already loaded its own codec. The record modules load lazily (on the first produce or fetch), so
//    an earlier `import 'kafkajs'` elsewhere does not defeat the patch; a produce or fetch before it does, and
//    is detected.
//
// 2. Offset out of range (no silent jumps). When a fetch hits OFFSET_OUT_OF_RANGE (retention or deleteRecords
//    removed the records the group was due to read), kafkajs 2.2.4 logs an error, COMMITS the reset position
//    (-2 earliest / -1 latest, per `fromBeginning`) to the group — erasing the evidence — and carries on from
//    the earliest or latest offset. We replace ConsumerGroup.prototype.recoverFromOffsetOutOfRange so that it
//    throws FetchPositionOutOfRange instead: a non-retriable error that stops the consumer without touching
//    the committed offsets; the source turns it into the port's OffsetOutOfRange. (The method's other branch,
//    retrying a follower fetch on the leader, cannot trigger in 2.2.4 — it tests `typeof … === 'number'`
//    against an object — and georep never fetches from followers.)
//
// 3. Aborted transactions (fidelity). kafkajs's read_committed filter lets records of aborted transactions
//    through (see aborted-transactions.ts for the three ways). We wrap Broker.prototype.fetch: each
//    partition's records of aborted transactions are found the way Kafka's Java consumer finds them and
//    flagged `isControlRecord`, the one flag kafkajs's Batch drops a record for while still counting its
//    offset (so the group commits past it, as past a transaction marker); the partition's list of aborted
//    transactions is then emptied so that kafkajs's own filter has nothing to (mis)apply.
//
// 4. Batch checksum (speed). kafkajs computes the CRC-32C of every record batch it produces one byte at a time
//    in JavaScript, about a sixth of georep's CPU time when copying. Its checksum module is replaced the same
//    way as the record codec, by ../crc32c.ts (slicing-by-8, the same checksum 4–5× faster). kafkajs does not
//    check the checksum of fetched batches, so only writing uses it.
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import type * as KafkaJs from 'kafkajs';
import { crc32c } from '../crc32c.js';
import { KafkaClientIncompatible } from '../errors.js';
import {
  type AbortedTransaction,
  type FetchedRecord,
  recordsOfAbortedTransactions,
} from './aborted-transactions.js';
import {
  createProduceRequestV3,
  groupMessagesPerPartition,
  type KafkajsCompression,
  type KafkajsEncoderConstructor,
} from './produce-request-patch.js';
import { createRecordEncoder, decodeRecord, type KafkajsEncoderClass } from './record-codec-patch.js';

/** The kafkajs version the corrections were written against; package.json pins it exactly. */
export const PATCHED_KAFKAJS_VERSION = '2.2.4';

const requireFromHere = createRequire(import.meta.url);

const MODULES = {
  recordEncoder: 'kafkajs/src/protocol/recordBatch/record/v0/index.js',
  recordDecoder: 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js',
  batchChecksum: 'kafkajs/src/protocol/recordBatch/crc32C/index.js',
  produceRequest: 'kafkajs/src/protocol/requests/produce/v3/request.js',
  compression: 'kafkajs/src/protocol/message/compression/index.js',
  groupMessagesPerPartition: 'kafkajs/src/producer/groupMessagesPerPartition.js',
  encoder: 'kafkajs/src/protocol/encoder.js',
  consumerGroup: 'kafkajs/src/consumer/consumerGroup.js',
  broker: 'kafkajs/src/broker/index.js',
} as const;

/**
 * Thrown inside kafkajs (in place of its offset reset) when a fetch position is out of range. Non-retriable,
 * so kafkajs stops the consumer at once and reports it through its CRASH event.
 */
export class FetchPositionOutOfRange extends Error {
  readonly retriable = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** The offset kafkajs asked for, as kafkajs writes offsets. */
    readonly fetchOffset: string,
  ) {
    super(`fetch offset ${fetchOffset} of partition ${partition} of topic ${topic} is out of range`);
    this.name = 'FetchPositionOutOfRange';
  }
}

interface ConsumerGroupInternals {
  offsetManager: { nextOffset(topic: string, partition: number): { toString(): string } };
}
type ConsumerGroupClass = {
  prototype: { recoverFromOffsetOutOfRange(error: { topic: string; partition: number }): Promise<void> };
};

const OFFSET_PATCH_MARK = Symbol.for('georep.kafkajs.offsetOutOfRangePatch');

let loaded: typeof KafkaJs | undefined;

/** kafkajs with all three corrections in place. Throws KafkaClientIncompatible when they cannot be applied. */
export function loadKafkajs(): typeof KafkaJs {
  if (loaded === undefined) {
    assertPatchedVersion((requireFromHere('kafkajs/package.json') as { version: string }).version);
    installStandIns();
    installOffsetOutOfRangeHalt();
    installAbortedTransactionFilter();
    loaded = requireFromHere('kafkajs') as typeof KafkaJs;
  }
  return loaded;
}

/** @throws KafkaClientIncompatible unless `installedVersion` is the one the corrections were written for. */
export function assertPatchedVersion(installedVersion: string): void {
  if (installedVersion !== PATCHED_KAFKAJS_VERSION) {
    throw new KafkaClientIncompatible(
      `kafkajs ${installedVersion} is installed, but georep's record-header and offset-out-of-range ` +
        `corrections were written for kafkajs ${PATCHED_KAFKAJS_VERSION} exactly; install the version ` +
        'package.json pins',
    );
  }
}

/** Our stand-ins by the kafkajs module they replace; made once, after the version check. */
let standIns: ReadonlyArray<readonly [specifier: string, standIn: unknown]> | undefined;
/**
 * Stand-ins that only save time and change no byte. kafkajs loads the module of this one as soon as kafkajs
 * itself is loaded, which a test or tool may do before georep's loader runs: then kafkajs keeps its own.
 */
let timeSavingStandIns: ReadonlyArray<readonly [specifier: string, standIn: unknown]> | undefined;

function installStandIns(): void {
  standIns ??= [
    [MODULES.recordEncoder, createRecordEncoder(requireFromHere(MODULES.encoder) as KafkajsEncoderClass)],
    [MODULES.recordDecoder, decodeRecord],
    // The same checksum as kafkajs's module (which returns it unsigned too), 4–5× faster.
    [MODULES.batchChecksum, (bytes: Buffer) => crc32c(bytes)],
    // Writes records with our codec, like the record encoder above, all into one buffer.
    [
      MODULES.produceRequest,
      createProduceRequestV3(
        requireFromHere(MODULES.encoder) as KafkajsEncoderConstructor,
        requireFromHere(MODULES.compression) as KafkajsCompression,
      ),
    ],
  ];
  timeSavingStandIns ??= [[MODULES.groupMessagesPerPartition, groupMessagesPerPartition]];
  for (const [specifier, standIn] of standIns) {
    if (!installStandIn(specifier, standIn)) {
      throw new KafkaClientIncompatible(
        `kafkajs loaded its own ${specifier} before georep could replace it: some code ` +
          'produced or fetched with kafkajs before src/kafka/kafkajs/load-kafkajs.ts ran',
      );
    }
  }
  for (const [specifier, standIn] of timeSavingStandIns) installStandIn(specifier, standIn);
}

/** Puts `standIn` into the module cache as `specifier`; false if kafkajs already loaded its own module. */
function installStandIn(specifier: string, standIn: unknown): boolean {
  const filename = requireFromHere.resolve(specifier);
  const cached = requireFromHere.cache[filename];
  if (cached !== undefined) return cached.exports === standIn;
  const module = new Module(filename);
  module.filename = filename;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(
    dirname(filename),
  );
  module.exports = standIn;
  module.loaded = true;
  requireFromHere.cache[filename] = module;
  return true;
}

function installOffsetOutOfRangeHalt(): void {
  const ConsumerGroup = requireFromHere(MODULES.consumerGroup) as ConsumerGroupClass;
  const prototype = ConsumerGroup.prototype as ConsumerGroupClass['prototype'] & {
    [OFFSET_PATCH_MARK]?: true;
  };
  if (prototype[OFFSET_PATCH_MARK]) return;
  prototype.recoverFromOffsetOutOfRange = async function haltOnOffsetOutOfRange(
    this: ConsumerGroupInternals,
    error: { topic: string; partition: number },
  ): Promise<void> {
    const fetchOffset = this.offsetManager.nextOffset(error.topic, error.partition).toString();
    throw new FetchPositionOutOfRange(error.topic, error.partition, fetchOffset);
  };
  prototype[OFFSET_PATCH_MARK] = true;
}

/** One partition of a decoded fetch response, as far as the aborted-transaction filter uses it. */
interface FetchedPartition {
  abortedTransactions?: AbortedTransaction[] | null;
  messages?: FetchedRecord[];
}
type BrokerClass = {
  prototype: {
    fetch(request: unknown): Promise<{ responses?: { partitions?: FetchedPartition[] }[] }>;
  };
};

const FETCH_PATCH_MARK = Symbol.for('georep.kafkajs.abortedTransactionFilter');

function installAbortedTransactionFilter(): void {
  const Broker = requireFromHere(MODULES.broker) as BrokerClass;
  const prototype = Broker.prototype as BrokerClass['prototype'] & { [FETCH_PATCH_MARK]?: true };
  if (prototype[FETCH_PATCH_MARK]) return;
  const kafkajsFetch = prototype.fetch;
  prototype.fetch = async function fetchWithoutAbortedRecords(this: unknown, request: unknown) {
    const response = await kafkajsFetch.call(this, request);
    for (const topic of response.responses ?? []) {
      for (const partition of topic.partitions ?? []) {
        const aborted = recordsOfAbortedTransactions(
          partition.messages ?? [],
          partition.abortedTransactions ?? [],
        );
        for (const record of aborted) record.isControlRecord = true;
        partition.abortedTransactions = [];
      }
    }
    return response;
  };
  prototype[FETCH_PATCH_MARK] = true;
}

/** Whether kafkajs's record codec modules are ours; for the guard test and the source's sanity check. */
export function recordCodecPatchActive(): boolean {
  return (
    standIns?.every(
      ([specifier, standIn]) =>
        requireFromHere.cache[requireFromHere.resolve(specifier)]?.exports === standIn,
    ) ?? false
  );
}
