import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { compiled, fakeEnvironment, PEM_CERTIFICATE, PEM_KEY, parse, problems } from './helpers.js';

const TWO_CLUSTERS = `
clusters:
  london: { bootstrap: [kafka-lon-1:9092] }
  paris: { bootstrap: [kafka-par-1:9092] }
`;

describe('a valid file compiles to the Config every module reads', () => {
  test('fields left out take their documented defaults', () => {
    const config = compiled(`${TWO_CLUSTERS}
replications:
  - origin: london
    destinations: [paris]
    topics: { include: [orders] }
`);
    assert.equal(config.file, 'geo.yaml');
    assert.deepEqual(config.daemon, {
      httpListen: '127.0.0.1:9787',
      httpAllowedHosts: [],
      httpWebConfig: null,
      discoveryIntervalMs: 5000,
      shutdownTimeoutMs: 30000,
      groupSyncIntervalMs: 5000,
      groupIdPrefix: 'georep',
      logLevel: 'info',
    });
    assert.deepEqual(config.clusters.get('london'), {
      name: 'london',
      bootstrap: ['kafka-lon-1:9092'],
      tls: null,
      sasl: null,
      connectionTimeoutMs: 10000,
      requestTimeoutMs: 30000,
      position: { file: 'geo.yaml', line: 3, col: 3 },
    });
    assert.deepEqual(config.replications, [
      {
        name: 'london->paris',
        origin: 'london',
        destinations: ['paris'],
        topics: {
          include: [{ kind: 'literal', source: 'orders', position: { file: 'geo.yaml', line: 9, col: 25 } }],
          exclude: [],
        },
        naming: { kind: 'prefix', separator: '.' },
        loopPrevention: 'none',
        start: 'earliest',
        delivery: 'at-least-once',
        compression: 'origin',
        maxBytesPerSecond: null,
        groups: { include: [], exclude: [] },
        paused: false,
        replicationFactor: null,
        topicConfigExclude: [],
        onOriginTopicDeleted: 'keep',
        position: { file: 'geo.yaml', line: 7, col: 5 },
      },
    ]);
  });

  test('every field given is carried over', () => {
    const config = compiled(`${TWO_CLUSTERS}
replications:
  - name: orders-to-paris
    origin: london
    destinations: [paris]
    topics: { include: ["orders.*"], exclude: [orders.tmp] }
    naming: identity
    loopPrevention: header
    start: latest
    delivery: exactly-once
    groups: { include: ["billing-*"], exclude: [billing-test] }
    paused: true
    replicationFactor: 2
    topicConfig: { exclude: [retention.ms] }
    onOriginTopicDeleted: delete
daemon:
  httpListen: 0.0.0.0:9000
  discoveryIntervalMs: 1000
  shutdownTimeoutMs: 5000
  groupIdPrefix: georep-eu
  logLevel: debug
`);
    const [replication] = config.replications;
    assert.ok(replication);
    assert.equal(replication.name, 'orders-to-paris');
    assert.deepEqual(replication.naming, { kind: 'identity' });
    assert.equal(replication.loopPrevention, 'header');
    assert.equal(replication.start, 'latest');
    assert.equal(replication.delivery, 'exactly-once');
    assert.deepEqual(
      replication.groups.exclude.map((pattern) => pattern.source),
      ['billing-test'],
    );
    assert.equal(replication.paused, true);
    assert.equal(replication.replicationFactor, 2);
    assert.deepEqual(replication.topicConfigExclude, ['retention.ms']);
    assert.equal(replication.onOriginTopicDeleted, 'delete');
    assert.deepEqual(config.daemon, {
      httpListen: '0.0.0.0:9000',
      httpAllowedHosts: [],
      httpWebConfig: null,
      discoveryIntervalMs: 1000,
      shutdownTimeoutMs: 5000,
      groupSyncIntervalMs: 5000,
      groupIdPrefix: 'georep-eu',
      logLevel: 'debug',
    });
  });

  const namings: [string, unknown][] = [
    ['prefix', { kind: 'prefix', separator: '.' }],
    ['identity', { kind: 'identity' }],
    ['"{topic}.from-{origin}"', { kind: 'template', template: '{topic}.from-{origin}' }],
    ['{ template: "{destination}.{topic}" }', { kind: 'template', template: '{destination}.{topic}' }],
    ['{ prefix: { separator: "_" } }', { kind: 'prefix', separator: '_' }],
  ];
  for (const [written, policy] of namings) {
    test(`naming: ${written} compiles to ${JSON.stringify(policy)}`, () => {
      const config = compiled(`${TWO_CLUSTERS}
replications:
  - { origin: london, destinations: [paris], topics: { include: [orders] }, naming: ${written} }
`);
      assert.deepEqual(config.replications[0]?.naming, policy);
    });
  }

  test('tls: true means TLS with the system CAs; false or absent means none', () => {
    const config = compiled(`
clusters:
  london: { bootstrap: ["kafka-lon-1:9093"], tls: true }
  paris: { bootstrap: ["kafka-par-1:9092"], tls: false }
  rome: { bootstrap: ["[::1]:9092"] }
replications:
  - { origin: london, destinations: [paris, rome], topics: { include: [orders] } }
`);
    assert.deepEqual(config.clusters.get('london')?.tls, {
      ca: null,
      cert: null,
      key: null,
      rejectUnauthorized: true,
      servername: null,
    });
    assert.equal(config.clusters.get('paris')?.tls, null);
    assert.equal(config.clusters.get('rome')?.tls, null);
  });

  test('YAML anchors and aliases may share settings', () => {
    const config = compiled(`
clusters:
  london: &defaults { bootstrap: [kafka-lon-1:9092], requestTimeoutMs: 60000 }
  paris: *defaults
replications:
  - { origin: london, destinations: [paris], topics: { include: [orders] } }
`);
    assert.equal(config.clusters.get('paris')?.requestTimeoutMs, 60000);
  });

  test('the compiled config is frozen all the way down, its Map included', () => {
    const config = compiled(`${TWO_CLUSTERS}
replications:
  - { origin: london, destinations: [paris], topics: { include: [orders] } }
`);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.replications[0]?.topics.include[0]));
    assert.ok(Object.isFrozen(config.clusters.get('london')?.bootstrap));
    assert.throws(() => (config.clusters as Map<string, unknown>).set('rome', {}), /read-only/);
    assert.throws(() => (config.clusters as Map<string, unknown>).delete('london'), /read-only/);
    assert.equal(config.clusters.size, 2);
  });
});

describe('secrets', () => {
  const SASL = (password: string) => `
clusters:
  london:
    bootstrap: [kafka-lon-1:9093]
    tls: { ca: ca.pem, cert: /etc/ssl/georep.pem, key: "\${file:georep.key}" }
    sasl: { mechanism: scram-sha-512, username: georep, password: "${password}" }
  paris: { bootstrap: [kafka-par-1:9092] }
replications:
  - { origin: london, destinations: [paris], topics: { include: [orders] } }
`;
  const files = {
    '/etc/georep/ca.pem': PEM_CERTIFICATE,
    '/etc/ssl/georep.pem': PEM_CERTIFICATE,
    '/etc/georep/georep.key': PEM_KEY,
    '/etc/georep/london.password': 'file-secret-value\n',
  };

  test('${file:…} reads a file relative to the base directory, without its trailing newline', () => {
    const config = compiled(SASL('${file:london.password}'), fakeEnvironment({ files }));
    const london = config.clusters.get('london');
    assert.equal(london?.sasl?.password.reveal(), 'file-secret-value');
    assert.equal(london?.sasl?.password.reference, '${file:london.password}');
    assert.equal(london?.tls?.ca, PEM_CERTIFICATE);
    assert.equal(london?.tls?.cert, PEM_CERTIFICATE);
    assert.equal(london?.tls?.key?.reveal(), PEM_KEY);
  });

  test('${env:…} reads an environment variable', () => {
    const environment = fakeEnvironment({ files, env: { LONDON_PASSWORD: 'env-secret-value' } });
    const config = compiled(SASL('${env:LONDON_PASSWORD}'), environment);
    assert.equal(config.clusters.get('london')?.sasl?.password.reveal(), 'env-secret-value');
  });

  test('a resolved secret never prints: not as JSON, text or util.inspect', () => {
    const environment = fakeEnvironment({ files, env: { LONDON_PASSWORD: 'env-secret-value' } });
    const config = compiled(SASL('${env:LONDON_PASSWORD}'), environment);
    const shown = [
      JSON.stringify({ ...config, clusters: [...config.clusters.values()] }),
      inspect(config, { depth: null }),
      String(config.clusters.get('london')?.sasl?.password),
    ].join('\n');
    assert.ok(!shown.includes('env-secret-value'));
    assert.ok(!shown.includes('MIIEfake'), 'the private key is a secret too');
    assert.ok(shown.includes('[secret]'));
  });

  test('an empty secret file or variable is an error naming the reference', () => {
    const environment = fakeEnvironment({
      files: { ...files, '/etc/georep/london.password': '\n' },
      env: { EMPTY: '' },
    });
    assert.deepEqual(problems(SASL('${file:london.password}'), environment), [
      '6:67: clusters.london.sasl.password: ${file:london.password}: /etc/georep/london.password is empty',
    ]);
    assert.deepEqual(problems(SASL('${env:EMPTY}'), environment), [
      '6:67: clusters.london.sasl.password: ${env:EMPTY}: environment variable EMPTY is empty',
    ]);
  });

  test('an inline password is accepted with a warning that does not repeat it', () => {
    const result = parse(SASL('inline-secret-value'), fakeEnvironment({ files }));
    assert.equal(result.ok, true);
    const warnings = result.ok ? result.warnings : [];
    assert.deepEqual(
      warnings.map((issue) => [issue.line, issue.col, issue.code, issue.message]),
      [
        [
          6,
          67,
          'INLINE_SECRET',
          'clusters.london.sasl.password: the password is written in the file; use ${env:NAME} or ${file:PATH}',
        ],
      ],
    );
    assert.equal(
      result.ok && result.config.clusters.get('london')?.sasl?.password.reference,
      'inline at geo.yaml:6:67',
    );
  });

  test('no issue message repeats a secret value, even when the file has other errors', () => {
    const text = SASL('inline-secret-value').replace('mechanism: scram-sha-512', 'mechanism: scram');
    const messages = problems(text, fakeEnvironment({ files })).join('\n');
    assert.match(messages, /"scram" is not one of/);
    assert.ok(!messages.includes('inline-secret-value'));
  });

  test('a YAML syntax error near an inline password does not quote it', () => {
    const broken = [
      SASL('x').replace('password: "x" }', 'password: inline-secret-value ] }'),
      SASL('x').replace('password: "x"', 'password: "inline\\qsecret-value"'),
      SASL('x').replace('password: "x" }', 'password: |inline-secret-value\n }'),
    ];
    for (const text of broken) {
      const messages = problems(text, fakeEnvironment({ files }));
      assert.equal(messages.length, 1, messages.join('\n'));
      assert.match(messages[0]!, /^6:\d+: YAML: /);
      assert.ok(!messages[0]!.includes('secret-value'), messages[0]);
    }
  });

  test('a password of the wrong type is reported without its value', () => {
    const text = SASL('x').replace('password: "x"', 'password: 12345678');
    assert.deepEqual(problems(text, fakeEnvironment({ files })), [
      '6:67: clusters.london.sasl.password: must be a string, not a whole number',
    ]);
  });
});

describe('warnings do not reject a file', () => {
  test('SASL PLAIN without TLS, certificate checks off, and an include that can never select', () => {
    const result = parse(
      `
clusters:
  london:
    bootstrap: [kafka-lon-1:9092]
    sasl: { mechanism: plain, username: georep, password: "\${env:PASSWORD}" }
  paris:
    bootstrap: [kafka-par-1:9093]
    tls: { rejectUnauthorized: false }
replications:
  - { origin: london, destinations: [paris], topics: { include: [orders, __consumer_offsets] } }
`,
      fakeEnvironment({ env: { PASSWORD: 'p' } }),
    );
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.ok ? result.warnings.map((issue) => `${issue.line}:${issue.col}: ${issue.code}`) : [],
      ['5:24: CLEARTEXT_PASSWORD', '8:32: TLS_VERIFICATION_DISABLED', '10:74: NEVER_MIRRORED'],
    );
  });
});

describe('loops', () => {
  const loop = (forth: string, back: string) => `
clusters:
  eu: { bootstrap: [kafka-eu-1:9092] }
  us: { bootstrap: [kafka-us-1:9092] }
replications:
  - { origin: eu, destinations: [us], ${forth} }
  - { origin: us, destinations: [eu], ${back} }
`;
  const allowed: [string, string, string][] = [
    ['prefix naming both ways', 'topics: { include: ["*"] }', 'topics: { include: ["*"] }'],
    [
      'identity naming with loopPrevention: header both ways',
      'topics: { include: ["*"] }, naming: identity, loopPrevention: header',
      'topics: { include: ["*"] }, naming: identity, loopPrevention: header',
    ],
    [
      'identity naming over literal topics that differ',
      'topics: { include: [orders-eu] }, naming: identity',
      'topics: { include: [orders-us] }, naming: identity',
    ],
    [
      'identity naming over globs that cannot match the same name',
      'topics: { include: ["eu.*"] }, naming: identity',
      'topics: { include: ["us.*"] }, naming: identity',
    ],
    [
      'templates whose names do not come back round',
      'topics: { include: [orders] }, naming: "{topic}.copy"',
      'topics: { include: [orders.copy] }, naming: "{topic}.copy"',
    ],
  ];
  for (const [what, forth, back] of allowed) {
    test(`a cycle with ${what} is allowed`, () => {
      assert.deepEqual(problems(loop(forth, back)), []);
    });
  }

  const refused: [string, string, string, string][] = [
    [
      'identity naming over overlapping globs',
      'topics: { include: ["orders.*"] }, naming: identity',
      'topics: { include: ["*.eu"] }, naming: identity',
      'records',
    ],
    [
      'identity naming with the header on one side only',
      'topics: { include: [orders] }, naming: identity, loopPrevention: header',
      'topics: { include: [orders] }, naming: identity',
      'topic "orders"',
    ],
    [
      'prefix one way and identity the other',
      'topics: { include: ["*"] }',
      'topics: { include: ["eu.*"] }, naming: identity',
      'records',
    ],
  ];
  for (const [what, forth, back, subject] of refused) {
    test(`a cycle with ${what} is refused`, () => {
      assert.deepEqual(problems(loop(forth, back)), [
        `7:5: replications[1]: replications "eu->us" (line 6) and "us->eu" (line 7) form the loop eu → us → eu: ${subject} would be mirrored round it forever; use prefix naming, or identity naming with loopPrevention: header on every replication of the loop`,
      ]);
    });
  }
});

describe('destination collisions', () => {
  const into = (first: string, second: string) => `
clusters:
  london: { bootstrap: [kafka-lon-1:9092] }
  paris: { bootstrap: [kafka-par-1:9092] }
  dublin: { bootstrap: [kafka-dub-1:9092] }
replications:
  - { origin: london, destinations: [dublin], ${first} }
  - { origin: paris, destinations: [dublin], ${second} }
`;

  test('prefix naming keeps origins apart', () => {
    assert.deepEqual(problems(into('topics: { include: [orders] }', 'topics: { include: [orders] }')), []);
  });

  test('different globs may overlap only on topics that exist: left to the daemon', () => {
    const text = into(
      'topics: { include: ["orders.*"] }, naming: identity',
      'topics: { include: ["*.eu"] }, naming: identity',
    );
    assert.deepEqual(problems(text), []);
  });

  test('an identity-named topic that a prefixed one also produces is refused', () => {
    const text = into('topics: { include: [orders] }', 'topics: { include: ["london.*"] }, naming: identity');
    assert.deepEqual(problems(text), [
      '8:37: replications[1].destinations[0]: topic "london.orders" on cluster "dublin" would be written by replication "paris->dublin" (line 8) and by replication "london->dublin" (line 7); a destination topic can have only one writer',
    ]);
  });

  test('an excluded literal does not collide', () => {
    const text = into(
      'topics: { include: [orders] }, naming: identity',
      'topics: { include: ["*"], exclude: [orders] }, naming: identity',
    );
    assert.deepEqual(problems(text), []);
  });

  test('two replications of the same origin writing the same names collide', () => {
    const text = `
clusters:
  london: { bootstrap: [kafka-lon-1:9092] }
  dublin: { bootstrap: [kafka-dub-1:9092] }
replications:
  - { name: a, origin: london, destinations: [dublin], topics: { include: ["/orders.*/"] } }
  - { name: b, origin: london, destinations: [dublin], topics: { include: ["/orders.*/"] } }
`;
    assert.deepEqual(problems(text), [
      '7:47: replications[1].destinations[0]: the topics "london./orders.*/" on cluster "dublin" would be written by replication "b" (line 7) and by replication "a" (line 6); a destination topic can have only one writer',
    ]);
  });
});

describe('issues', () => {
  test('come sorted by position, whatever stage found them', () => {
    const lines = problems(`
clusters:
  london: { bootstrap: [kafka-lon-1:9092], extra: 1 }
replications:
  - { origin: paris, destinations: [london], topics: { include: ["/(/"] }, start: soon }
`).map((line) => line.split(':').slice(0, 2).map(Number));
    assert.deepEqual(lines, [
      [3, 44],
      [5, 15],
      [5, 66],
      [5, 83],
    ]);
  });

  test('a replication with its own errors is not also reported as a loop or a collision', () => {
    const text = `
clusters:
  london: { bootstrap: [kafka-lon-1:9092] }
  paris: { bootstrap: [kafka-par-1:9092] }
replications:
  - { origin: london, destinations: [paris], topics: { include: ["*"] }, naming: identity }
  - { origin: paris, destinations: [london], topics: { include: ["*"] }, naming: identity, start: soon }
`;
    assert.deepEqual(parse(text).ok ? [] : problems(text).map((line) => line.replace(/: .*?: /, ': ')), [
      '7:99: "soon" is not one of earliest, latest',
    ]);
  });
});
