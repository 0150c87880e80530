import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { brokerProperties, renderServerProperties } from '../../harness/broker-config.js';
import { kafkaVersionProfile } from '../../harness/versions.js';

const input = {
  port: 40001,
  controllerPort: 40002,
  dataDir: '/tmp/run/a/data',
  profile: kafkaVersionProfile('4.1.2'),
};

describe('server.properties of a harness cluster', () => {
  test('binds both listeners to loopback and advertises only the client port', () => {
    const properties = brokerProperties(input);
    assert.equal(properties.get('listeners'), 'PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002');
    assert.equal(properties.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:40001');
    assert.equal(properties.get('controller.quorum.voters'), '1@127.0.0.1:40002');
    assert.equal(properties.get('log.dirs'), '/tmp/run/a/data');
  });

  test('a WAN listener is advertised at the proxy in front of it; the PLAINTEXT listener stays direct', () => {
    const properties = brokerProperties({ ...input, wan: { port: 40003, proxyPort: 40004 } });
    assert.equal(
      properties.get('listeners'),
      'PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002,WAN://127.0.0.1:40003',
    );
    assert.equal(properties.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:40001,WAN://127.0.0.1:40004');
    assert.match(properties.get('listener.security.protocol.map') ?? '', /,WAN:PLAINTEXT$/);
  });

  test('gives every internal topic one replica, so a single broker can host it', () => {
    const properties = brokerProperties(input);
    for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor']) {
      assert.equal(properties.get(key), '1', key);
    }
    assert.equal(properties.get('transaction.state.log.min.isr'), '1');
  });

  test('sets the share-group topic for Kafka 4.1 only, which 3.9 does not know', () => {
    assert.equal(brokerProperties(input).get('share.coordinator.state.topic.replication.factor'), '1');
    const old = brokerProperties({ ...input, profile: kafkaVersionProfile('3.9.1') });
    assert.equal(old.has('share.coordinator.state.topic.replication.factor'), false);
  });

  test('turns topic auto-creation off unless a test asks for it', () => {
    assert.equal(brokerProperties(input).get('auto.create.topics.enable'), 'false');
    const overridden = brokerProperties({ ...input, overrides: { 'auto.create.topics.enable': 'true' } });
    assert.equal(overridden.get('auto.create.topics.enable'), 'true');
  });

  test('adds a SASL_PLAINTEXT listener with PLAIN users beside the PLAINTEXT one when asked', () => {
    const properties = brokerProperties({
      ...input,
      saslPlain: { port: 40003, users: { georep: 'pw-1', other: 'pw "2"' } },
    });
    assert.equal(
      properties.get('listeners'),
      'PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002,SASL_PLAINTEXT://127.0.0.1:40003',
    );
    assert.equal(
      properties.get('advertised.listeners'),
      'PLAINTEXT://127.0.0.1:40001,SASL_PLAINTEXT://127.0.0.1:40003',
    );
    assert.match(properties.get('listener.security.protocol.map') ?? '', /,SASL_PLAINTEXT:SASL_PLAINTEXT$/);
    assert.equal(properties.get('inter.broker.listener.name'), 'PLAINTEXT');
    assert.equal(properties.get('sasl.enabled.mechanisms'), 'PLAIN');
    assert.equal(
      properties.get('listener.name.sasl_plaintext.plain.sasl.jaas.config'),
      'org.apache.kafka.common.security.plain.PlainLoginModule required user_georep="pw-1" user_other="pw \\"2\\"";',
    );
  });

  test('adds an SSL listener with PEM stores and the asked client authentication', () => {
    const properties = brokerProperties({
      ...input,
      ssl: {
        port: 40004,
        keyStoreFile: '/t/broker.pem',
        trustStoreFile: '/t/ca.pem',
        clientAuth: 'required',
      },
    });
    assert.equal(
      properties.get('listeners'),
      'PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002,SSL://127.0.0.1:40004',
    );
    assert.equal(properties.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:40001,SSL://127.0.0.1:40004');
    assert.match(properties.get('listener.security.protocol.map') ?? '', /,SSL:SSL$/);
    assert.equal(properties.get('inter.broker.listener.name'), 'PLAINTEXT');
    assert.equal(properties.get('listener.name.ssl.ssl.keystore.type'), 'PEM');
    assert.equal(properties.get('listener.name.ssl.ssl.keystore.location'), '/t/broker.pem');
    assert.equal(properties.get('listener.name.ssl.ssl.truststore.location'), '/t/ca.pem');
    assert.equal(properties.get('listener.name.ssl.ssl.client.auth'), 'required');
  });

  test('turns on the StandardAuthorizer, deny by default, with the PLAINTEXT principal as super user', () => {
    const properties = brokerProperties({ ...input, standardAuthorizer: true });
    assert.equal(
      properties.get('authorizer.class.name'),
      'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    );
    assert.equal(properties.get('super.users'), 'User:ANONYMOUS');
    assert.equal(properties.get('allow.everyone.if.no.acl.found'), 'false');
    assert.equal(brokerProperties(input).get('authorizer.class.name'), undefined);
  });

  test('renders one key=value line per property and escapes backslashes', () => {
    const text = renderServerProperties({ ...input, dataDir: 'C:\\kafka\\data' });
    assert.match(text, /^process\.roles=broker,controller$/m);
    assert.match(text, /^log\.dirs=C:\\\\kafka\\\\data$/m);
    assert.ok(text.endsWith('\n'));
  });
});
