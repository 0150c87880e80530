// PLACEHOLDER during the client migration (session of 2026-12-04): replaced by the real RecordSource before merge.
import type { ClusterConfig } from '../../config/types.js';
import { UnexpectedKafkaError } from '../errors.js';
import type { RecordSource, RecordSourceOptions } from '../port.js';

export const PlatformaticSource: new (config: ClusterConfig, options: RecordSourceOptions) => RecordSource =
  class {
    constructor(config: ClusterConfig) {
      throw new UnexpectedKafkaError(
        config.name,
        'RecordSource on @platformatic/kafka is not built yet',
        false,
      );
    }
  } as never;
