// PLACEHOLDER during the client migration (session of 2026-12-04): replaced by the real KafkaAdmin before merge.
import type { ClusterConfig } from '../../config/types.js';
import { UnexpectedKafkaError } from '../errors.js';
import type { KafkaAdmin } from '../port.js';

export const PlatformaticAdmin: new (config: ClusterConfig) => KafkaAdmin = class {
  constructor(config: ClusterConfig) {
    throw new UnexpectedKafkaError(config.name, 'KafkaAdmin on @platformatic/kafka is not built yet', false);
  }
} as never;
