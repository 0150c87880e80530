// Builds the @platformatic/kafka options of every client georep makes for one cluster from the cluster's
// compiled config. Secrets leave their `Secret` wrapper only here, straight into the client. The library logs
// nothing by itself (it reports through events and diagnostics channels), so no log routing is needed.
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { BaseOptions, SASLOptions } from '@platformatic/kafka';
import type { ClusterConfig, TlsSettings } from '../../config/types.js';

/**
 * Retries inside the client are off: every port method fails fast with a mapped error, and the runtime owns
 * retrying (a flow backs off and tries again), so one cluster's outage never hides inside a client loop.
 */
const CLIENT_RETRIES = 0;

/** How long cached metadata (leaders, partition counts) is trusted before the client asks again. */
const METADATA_MAX_AGE_MS = 30_000;

/** Options shared by the admin, producers and consumers made for `cluster`; `role` names them in the broker's logs. */
export function baseOptions(cluster: ClusterConfig, role: string): BaseOptions {
  return {
    clientId: `georep-${cluster.name}-${role}`,
    bootstrapBrokers: [...cluster.bootstrap],
    connectTimeout: cluster.connectionTimeoutMs,
    requestTimeout: cluster.requestTimeoutMs,
    timeout: cluster.requestTimeoutMs,
    retries: CLIENT_RETRIES,
    metadataMaxAge: METADATA_MAX_AGE_MS,
    // Never create a topic as a side effect of asking about it: a missing topic is TopicNotFound.
    autocreateTopics: false,
    ...(cluster.tls === null ? {} : { tls: tlsOptions(cluster.tls) }),
    ...(cluster.tls?.servername == null ? {} : { tlsServerName: cluster.tls.servername }),
    ...(cluster.sasl === null ? {} : { sasl: saslOptions(cluster) }),
  };
}

function tlsOptions(tls: TlsSettings): TlsConnectionOptions {
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
  const mechanisms = {
    plain: 'PLAIN',
    'scram-sha-256': 'SCRAM-SHA-256',
    'scram-sha-512': 'SCRAM-SHA-512',
  } as const;
  return {
    mechanism: mechanisms[sasl.mechanism],
    username: sasl.username,
    password: sasl.password.reveal(),
  };
}
