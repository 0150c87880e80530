// Builds the kafkajs client configuration from a cluster's compiled config, and routes kafkajs's logs to the
// logger georep passes in. Secrets leave their `Secret` wrapper only here, straight into kafkajs; every log
// line kafkajs emits is scrubbed of them (and of raw bytes, which can hold a SASL exchange) on the way out.
import type { KafkaConfig, logCreator, SASLOptions } from 'kafkajs';
import type { ClusterConfig, TlsSettings } from '../../config/types.js';
import type { KafkaLogger, KafkaLogLevel } from '../port.js';
import { loadKafkajs } from './load-kafkajs.js';

export interface ClientTuning {
  /** Lowest kafkajs level passed to the logger; kafkajs's debug level logs every request. */
  readonly logLevel?: KafkaLogLevel;
}

export function kafkajsConfig(
  cluster: ClusterConfig,
  log: KafkaLogger,
  tuning: ClientTuning = {},
): KafkaConfig {
  const kafkajs = loadKafkajs();
  const levels: Record<KafkaLogLevel, number> = {
    error: kafkajs.logLevel.ERROR,
    warn: kafkajs.logLevel.WARN,
    info: kafkajs.logLevel.INFO,
    debug: kafkajs.logLevel.DEBUG,
  };
  return {
    clientId: `georep-${cluster.name}`,
    brokers: [...cluster.bootstrap],
    ssl: cluster.tls === null ? false : tlsOptions(cluster.tls),
    ...(cluster.sasl === null ? {} : { sasl: saslOptions(cluster) }),
    connectionTimeout: cluster.connectionTimeoutMs,
    requestTimeout: cluster.requestTimeoutMs,
    logLevel: levels[tuning.logLevel ?? 'info'],
    logCreator: routeLogs(cluster, log),
  };
}

function tlsOptions(tls: TlsSettings): NonNullable<Exclude<KafkaConfig['ssl'], boolean>> {
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.ca === null ? {} : { ca: [tls.ca] }),
    ...(tls.cert === null ? {} : { cert: tls.cert }),
    ...(tls.key === null ? {} : { key: tls.key.reveal() }),
    ...(tls.servername === null ? {} : { servername: tls.servername }),
  };
}

function saslOptions(cluster: ClusterConfig): SASLOptions {
  const sasl = cluster.sasl!;
  const credentials = { username: sasl.username, password: sasl.password.reveal() };
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', ...credentials };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', ...credentials };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', ...credentials };
  }
}

/** The secret values of a cluster config, to be cut out of anything logged. */
export function secretValues(cluster: ClusterConfig): string[] {
  return [cluster.sasl?.password.reveal(), cluster.tls?.key?.reveal()].filter(
    (value): value is string => value !== undefined && value.length > 0,
  );
}

/**
 * kafkajs warnings that only restate a choice georep made on purpose; they are logged at debug. The sink limits
 * the idempotent producer's retries so that failures surface (the runtime retries the flow), and at-least-once
 * delivery does not depend on the producer's exactly-once guarantee.
 */
const DELIBERATE_CHOICES = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

/**
 * kafkajs logs at error level each retry of a transactional send that the broker turned away because the
 * transaction's previous step (the last commit's markers) was still being written, which is routine between
 * two transactions of one producer. It retries; if it gives up, the write fails and georep reports that.
 */
const RETRIED_TRANSIENTS = new Set([
  'Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
]);

/**
 * kafkajs logs every error response of the protocol (`Response Metadata(key: 3, …)`) at error level, and then
 * also returns it as an error to the caller, which the port maps and georep reports once. Such lines go to
 * debug; connection failures and everything else keep their level.
 */
const PROTOCOL_RESPONSE = /^Response \w+\(key: \d+, version: \d+\)/;

/** The level georep logs a kafkajs line at. */
export function routedLevel(kafkajsLevel: KafkaLogLevel, message: string): KafkaLogLevel {
  if (DELIBERATE_CHOICES.has(message) || PROTOCOL_RESPONSE.test(message)) return 'debug';
  if (RETRIED_TRANSIENTS.has(message)) return 'debug';
  return kafkajsLevel;
}

function routeLogs(cluster: ClusterConfig, log: KafkaLogger): logCreator {
  const kafkajs = loadKafkajs();
  const scrub = logScrubber(secretValues(cluster));
  const levelNames = new Map<number, KafkaLogLevel>([
    [kafkajs.logLevel.ERROR, 'error'],
    [kafkajs.logLevel.WARN, 'warn'],
    [kafkajs.logLevel.INFO, 'info'],
    [kafkajs.logLevel.DEBUG, 'debug'],
  ]);
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
      log({
        level: routedLevel(levelNames.get(level) ?? 'debug', String(message)),
        cluster: cluster.name,
        component: namespace ?? 'kafkajs',
        message: scrub(String(message)) as string,
        fields: scrub(fields) as Record<string, unknown>,
      });
    };
}

const SECRET_PLACEHOLDER = '[secret]';
const MAX_DEPTH = 6;

/**
 * Returns a function that copies a log value with every occurrence of a secret replaced, bytes summarised
 * (a buffer can hold a SASL PLAIN exchange, password included) and errors reduced to name, message, stack.
 */
export function logScrubber(secrets: readonly string[]): (value: unknown) => unknown {
  const scrubString = (text: string) =>
    secrets.reduce((scrubbed, secret) => scrubbed.split(secret).join(SECRET_PLACEHOLDER), text);
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return scrubString(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_DEPTH) return '[nested too deep]';
    if (value instanceof Uint8Array) return `[${value.length} bytes]`;
    if (value instanceof Error) {
      return { name: value.name, message: scrubString(value.message), stack: scrubString(value.stack ?? '') };
    }
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item, depth + 1)]));
  };
  return (value) => scrub(value, 0);
}
