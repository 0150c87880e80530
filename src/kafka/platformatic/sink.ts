// PLACEHOLDER during the client migration (session of 2026-12-04): replaced by the real RecordSink before merge.
import type { ClusterConfig } from '../../config/types.js';
import { UnexpectedKafkaError } from '../errors.js';
import type { RecordSink, RecordSinkOptions } from '../port.js';

export const PlatformaticSink: new (config: ClusterConfig, options: RecordSinkOptions) => RecordSink = class {
  constructor(config: ClusterConfig) {
    throw new UnexpectedKafkaError(config.name, 'RecordSink on @platformatic/kafka is not built yet', false);
  }
} as never;
