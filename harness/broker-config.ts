// server.properties for one single-node KRaft cluster (broker and controller in one JVM), as plain text.
import type { KafkaVersionProfile } from './versions.js';

export interface BrokerConfigInput {
  /** Port of the PLAINTEXT listener that clients bootstrap to. */
  port: number;
  /** Port of the CONTROLLER listener; clients that connect here get "unsupported API version" errors. */
  controllerPort: number;
  dataDir: string;
  profile: KafkaVersionProfile;
  /** Broker properties that win over the harness's defaults, e.g. { 'auto.create.topics.enable': 'true' }. */
  overrides?: Readonly<Record<string, string>>;
  /** A further client listener that wants SASL PLAIN (no TLS) from these users, e.g. to test credentials. */
  saslPlain?: SaslPlainListener;
  /**
   * Turn on KRaft's StandardAuthorizer with deny-by-default: a principal may do only what an ACL allows.
   * The PLAINTEXT listeners' principal (User:ANONYMOUS: the harness, the tests' tools, the controller) is a
   * super user, so only the SASL listener's users are checked.
   */
  standardAuthorizer?: boolean;
  /** A further client listener that wants TLS, with the broker's PEM key store and the CA of client certificates. */
  ssl?: SslListener;
  /** A further PLAINTEXT listener that clients reach through a WAN proxy (wan-proxy.ts). */
  wan?: WanListener;
}

/**
 * The broker listens on `port` and advertises `proxyPort`, where the proxy forwards to `port`: a client that
 * bootstraps through the proxy learns the proxy's address from the metadata, so every later connection goes
 * through the WAN too. The PLAINTEXT listener stays direct for the harness and the tests' tools.
 */
export interface WanListener {
  port: number;
  proxyPort: number;
}

export interface SaslPlainListener {
  port: number;
  /** User name → password. */
  users: Readonly<Record<string, string>>;
}

export interface SslListener {
  port: number;
  /** The broker's unencrypted PKCS#8 key followed by its certificate chain, PEM. */
  keyStoreFile: string;
  /** PEM certificates of the CAs whose client certificates the broker trusts. */
  trustStoreFile: string;
  /** Whether a client must present a certificate signed by a trusted CA. */
  clientAuth: 'required' | 'none';
}

/** The properties, in the order they are written. Every listener binds to loopback only. */
export function brokerProperties(input: BrokerConfigInput): Map<string, string> {
  const properties = new Map<string, string>([
    ['process.roles', 'broker,controller'],
    ['node.id', '1'],
    ['controller.quorum.voters', `1@127.0.0.1:${input.controllerPort}`],
    ['listeners', `PLAINTEXT://127.0.0.1:${input.port},CONTROLLER://127.0.0.1:${input.controllerPort}`],
    ['advertised.listeners', `PLAINTEXT://127.0.0.1:${input.port}`],
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['listener.security.protocol.map', 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT'],
    ['log.dirs', input.dataDir],
    // One broker: every internal topic must make do with one replica.
    ['offsets.topic.replication.factor', '1'],
    ['offsets.topic.num.partitions', '1'],
    ['transaction.state.log.replication.factor', '1'],
    ['transaction.state.log.min.isr', '1'],
    ['transaction.state.log.num.partitions', '1'],
    // Consumer groups in tests join at once instead of waiting 3 s for more members.
    ['group.initial.rebalance.delay.ms', '0'],
    // A broker restarted after kill() cannot register until the controller lets its old session expire
    // (default 9 s); a shorter session makes a crash-and-restart test take seconds less. Heartbeats stay
    // several per session, so a busy machine does not fence a healthy broker.
    ['broker.session.timeout.ms', '3000'],
    ['broker.heartbeat.interval.ms', '500'],
    // A mirror must create destination topics itself before writing; auto-creation would hide a missing step.
    ['auto.create.topics.enable', 'false'],
    // Several brokers share 2 cores and their heaps: fewer threads, and a log cleaner buffer that fits the heap.
    ['num.network.threads', '2'],
    ['num.io.threads', '4'],
    ['log.cleaner.dedupe.buffer.size', String(32 * 1024 * 1024)],
    ...Object.entries(input.profile.extraBrokerProperties),
  ]);
  if (input.saslPlain !== undefined) addSaslPlainListener(properties, input.saslPlain);
  if (input.ssl !== undefined) addSslListener(properties, input.ssl);
  if (input.wan !== undefined) addWanListener(properties, input.wan);
  if (input.standardAuthorizer === true) {
    properties.set('authorizer.class.name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    properties.set('super.users', 'User:ANONYMOUS');
    properties.set('allow.everyone.if.no.acl.found', 'false');
  }
  for (const [key, value] of Object.entries(input.overrides ?? {})) properties.set(key, value);
  return properties;
}

/** Adds a listener to the client listeners (listeners, advertised.listeners, security protocol map). */
function addListener(properties: Map<string, string>, protocol: string, port: number): void {
  const address = `${protocol}://127.0.0.1:${port}`;
  properties.set('listeners', `${properties.get('listeners')},${address}`);
  properties.set('advertised.listeners', `${properties.get('advertised.listeners')},${address}`);
  properties.set(
    'listener.security.protocol.map',
    `${properties.get('listener.security.protocol.map')},${protocol}:${protocol}`,
  );
}

/**
 * Adds an SSL listener beside the PLAINTEXT one (which keeps serving the harness's readiness probe, the
 * tests' tools and inter-broker traffic). PEM stores need no keytool step and no store password.
 */
function addSslListener(properties: Map<string, string>, listener: SslListener): void {
  addListener(properties, 'SSL', listener.port);
  properties.set('listener.name.ssl.ssl.keystore.type', 'PEM');
  properties.set('listener.name.ssl.ssl.keystore.location', listener.keyStoreFile);
  properties.set('listener.name.ssl.ssl.truststore.type', 'PEM');
  properties.set('listener.name.ssl.ssl.truststore.location', listener.trustStoreFile);
  properties.set('listener.name.ssl.ssl.client.auth', listener.clientAuth);
}

/**
 * Adds a SASL_PLAINTEXT listener with the PLAIN mechanism beside the PLAINTEXT one, which the harness keeps
 * for its own readiness probe and for the broker's inter-broker traffic.
 */
function addSaslPlainListener(properties: Map<string, string>, listener: SaslPlainListener): void {
  addListener(properties, 'SASL_PLAINTEXT', listener.port);
  properties.set('sasl.enabled.mechanisms', 'PLAIN');
  const users = Object.entries(listener.users).map(
    ([user, password]) => `user_${user}=${JSON.stringify(password)}`,
  );
  properties.set(
    'listener.name.sasl_plaintext.plain.sasl.jaas.config',
    `org.apache.kafka.common.security.plain.PlainLoginModule required ${users.join(' ')};`,
  );
}

function addWanListener(properties: Map<string, string>, listener: WanListener): void {
  properties.set('listeners', `${properties.get('listeners')},WAN://127.0.0.1:${listener.port}`);
  properties.set(
    'advertised.listeners',
    `${properties.get('advertised.listeners')},WAN://127.0.0.1:${listener.proxyPort}`,
  );
  properties.set(
    'listener.security.protocol.map',
    `${properties.get('listener.security.protocol.map')},WAN:PLAINTEXT`,
  );
}

export function renderServerProperties(input: BrokerConfigInput): string {
  const lines = ['# Written by the georep Kafka harness (harness/broker-config.ts).'];
  for (const [key, value] of brokerProperties(input)) lines.push(`${key}=${escapePropertyValue(value)}`);
  return `${lines.join('\n')}\n`;
}

/** Java properties files read a backslash as the start of an escape; a path holding one must survive. */
function escapePropertyValue(value: string): string {
  return value.replaceAll('\\', '\\\\');
}
