// PLACEHOLDER during the client migration (session of 2026-12-04): replaced by the real TransactionalSink before merge.
import type { ClusterConfig } from '../../config/types.js';
import { UnexpectedKafkaError } from '../errors.js';
import type { TransactionalSink, TransactionalSinkOptions } from '../port.js';

export const PlatformaticTransactionalSink: new (
  config: ClusterConfig,
  options: TransactionalSinkOptions,
) => TransactionalSink = class {
  constructor(config: ClusterConfig) {
    throw new UnexpectedKafkaError(
      config.name,
      'TransactionalSink on @platformatic/kafka is not built yet',
      false,
    );
  }
} as never;
