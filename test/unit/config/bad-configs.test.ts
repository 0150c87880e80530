// Bad configuration files paired with the exact issues they must produce, as Prometheus' config_test.go
// does: each fixture under test/fixtures/config/bad/ holds one kind of mistake (five-mistakes.yaml holds
// five), and its expected lines say where (line:col) and what. The environment is a fake rooted at
// /etc/georep that has ca.pem, client.pem and a not-pem.pem, and no environment variables.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseConfigText } from '../../../src/config/load.js';
import { fakeEnvironment, PEM_CERTIFICATE } from './helpers.js';

const FIXTURES = new URL('../../fixtures/config/bad/', import.meta.url);

const environment = fakeEnvironment({
  files: {
    '/etc/georep/ca.pem': PEM_CERTIFICATE,
    '/etc/georep/client.pem': PEM_CERTIFICATE,
    '/etc/georep/not-pem.pem': 'hello',
  },
});

const BAD_CONFIGS: readonly { file: string; expected: readonly string[] }[] = [
  {
    file: 'bad-cluster-name.yaml',
    expected: [
      '2:3: clusters["eu.west"]: name "eu.west" must use letters, digits, \'-\' and \'_\', start with a letter or digit, and be at most 64 characters long',
    ],
  },
  {
    file: 'bad-patterns.yaml',
    expected: [
      '9:11: replications[0].topics.include[0]: regular expression "/orders.(eu|us/" does not compile: missing closing ) (RE2 syntax)',
      "10:11: replications[0].topics.include[1]: \"orders/*\" is not a valid glob: topic names use letters, digits, '.', '_' and '-' (for a regular expression write /…/)",
      '11:11: replications[0].topics.include[2]: regular expression "/orders/g" has flags "g"; only "i" is allowed',
      '12:11: replications[0].topics.include[3]: "/unclosed" starts a regular expression but has no closing slash: write /…/',
      "13:17: replications[0].topics.exclude[0]: \"[abc]\" is not a valid topic name: topic names use letters, digits, '.', '_' and '-' (for a regular expression write /…/)",
      '15:17: replications[0].groups.include[0]: regular expression "/billing-(/" does not compile: missing closing ) (RE2 syntax)',
    ],
  },
  {
    file: 'bad-templates.yaml',
    expected: [
      '9:13: replications[0].naming: template "mirror.{origin}" has no {topic}: every topic would be written to the same destination topic',
      '13:25: replications[1].naming.template: unknown placeholder {topics} in "{topics}.copy"; the placeholders are {topic}, {origin} and {destination}; did you mean {topic}?',
      "17:13: replications[2].naming: template \"{topic}/{origin}\" makes invalid topic names: topic names use letters, digits, '.', '_' and '-'",
      '21:13: replications[3].naming: "identiy" is not prefix, identity or a template with {topic}; did you mean "identity"?',
    ],
  },
  {
    file: 'bad-values.yaml',
    expected: [
      '2:25: clusters.london.bootstrap[0]: "kafka-lon-1" must be host:port, e.g. kafka-1.example.com:9093, 10.0.0.5:9092 or [::1]:9092 (port 1-65535)',
      '2:57: clusters.london.requestTimeoutMs: 5 is out of range: must be at least 100',
      '3:42: clusters.paris.bootstrap[1]: "kafka-par-1:9092" is already listed at [0]',
      '7:24: replications[0].topics.include: must list at least 1 entry',
      '8:12: replications[0].start: "earlyest" is not one of earliest, latest; did you mean "earliest"?',
      '9:15: replications[0].delivery: "exactly_once" is not one of at-least-once, exactly-once; did you mean "exactly-once"?',
      '10:27: replications[0].onOriginTopicDeleted: "remove" is not one of keep, delete',
      '11:18: replications[0].compression: "zstandard" is not one of origin, none, gzip, snappy, lz4, zstd',
      '13:13: daemon.logLevel: "verbose" is not one of fatal, error, warn, info, debug, trace',
    ],
  },
  {
    file: 'destination-collision.yaml',
    expected: [
      '11:20: replications[1].destinations[0]: topic "orders" on cluster "dublin" would be written by replication "paris->dublin" (line 10) and by replication "london->dublin" (line 6); a destination topic can have only one writer',
      '16:20: replications[2].destinations[0]: the topics "audit.*" on cluster "dublin" would be written by replication "audit-again" (line 14) and by replication "london->dublin" (line 6); a destination topic can have only one writer',
    ],
  },
  {
    file: 'duplicate-key.yaml',
    expected: ['8:5: duplicate key "origin": a key may appear only once in a mapping'],
  },
  {
    file: 'duplicate-name.yaml',
    expected: [
      '8:5: replications[1].name: derived name "london->paris" is already used by replications[0] (line 5); give each replication its own "name"',
    ],
  },
  {
    file: 'empty.yaml',
    expected: ['1:1: the file is empty: it needs clusters and replications'],
  },
  {
    file: 'five-mistakes.yaml',
    expected: [
      '4:23: clusters.london.requestTimeoutMs: must be a whole number, not a string (milliseconds, e.g. 5000)',
      '9:12: replications[0].start: "earlyest" is not one of earliest, latest; did you mean "earliest"?',
      '10:25: replications[0].topics.include[0]: regular expression "/orders.(/" does not compile: missing closing ) (RE2 syntax)',
      '12:20: replications[1].destinations[0]: "berlin" is not a cluster defined under clusters (defined: london, paris)',
      '14:13: replications[1].naming: unknown placeholder {from} in "{topic}.{from}"; the placeholders are {topic}, {origin} and {destination}',
    ],
  },
  {
    file: 'missing-field.yaml',
    expected: ['5:5: replications[0]: missing required field "destinations"'],
  },
  {
    file: 'multiple-documents.yaml',
    expected: ['3:1: YAML: Source contains multiple documents; please use YAML.parseAllDocuments()'],
  },
  {
    file: 'not-a-mapping.yaml',
    expected: ['1:1: top level: must be a mapping, not a list'],
  },
  {
    file: 'origin-in-destinations.yaml',
    expected: [
      '6:27: replications[0].destinations[1]: "london" is the origin of this replication; a cluster cannot mirror into itself',
      '6:35: replications[0].destinations[2]: "paris" is already listed as destinations[0]',
    ],
  },
  {
    file: 'replication-loop.yaml',
    expected: [
      '15:5: replications[2]: replications "london->paris" (line 6), "paris->rome" (line 10) and "rome->london" (line 15) form the loop london → paris → rome → london: records would be mirrored round it forever; use prefix naming, or identity naming with loopPrevention: header on every replication of the loop',
    ],
  },
  {
    file: 'secrets.yaml',
    expected: [
      '4:24: clusters.london.tls.cert: "cert" needs "key" too',
      '5:67: clusters.london.sasl.password: ${env:GEOREP_LONDON_PASSWORD}: environment variable GEOREP_LONDON_PASSWORD is not set',
      '8:16: clusters.paris.tls.ca: ${file:/etc/ssl/missing-ca.pem}: cannot read /etc/ssl/missing-ca.pem: no such file',
      '9:67: clusters.paris.sasl.password: ${file:paris.password}: cannot read /etc/georep/paris.password: no such file',
      '12:17: clusters.rome.tls.key: ${env:lower-case} does not name an environment variable (letters, digits and _)',
      '12:44: clusters.rome.tls.cert: the certificate file /etc/georep/not-pem.pem is not PEM text (no "-----BEGIN" line)',
      '13:59: clusters.rome.sasl.password: looks like a reference but is not one: write the whole value as ${env:NAME} or ${file:PATH}',
    ],
  },
  {
    file: 'separator-in-cluster-name.yaml',
    expected: [
      '8:36: replications[0].naming.prefix.separator: separator "-" occurs in the origin cluster\'s name "eu-west", so a prefixed name could not be traced back to its origin; choose another separator',
    ],
  },
  {
    file: 'unknown-cluster.yaml',
    expected: [
      '5:13: replications[0].origin: "lodnon" is not a cluster defined under clusters; did you mean "london"?',
      '6:27: replications[0].destinations[1]: "tokyo" is not a cluster defined under clusters (defined: london, paris)',
    ],
  },
  {
    file: 'unknown-field.yaml',
    expected: [
      '3:5: clusters.london.bootsrap: unknown field "bootsrap"; did you mean "bootstrap"?',
      '6:5: clusters.paris.color: unknown field "color"; known fields: bootstrap, tls, sasl, connectionTimeoutMs, requestTimeoutMs',
    ],
  },
  {
    file: 'unknown-top-level-field.yaml',
    expected: ['4:1: replication: unknown field "replication"; did you mean "replications"?'],
  },
  {
    file: 'wrong-type.yaml',
    expected: [
      '3:16: clusters.london.bootstrap: must be a list, not a string (write a list as [a, b] or as lines starting with "- ")',
      '4:26: clusters.london.connectionTimeoutMs: must be a whole number, not a string (milliseconds, e.g. 5000)',
      '10:13: replications[0].paused: must be true or false, not a string (YAML 1.2 reads yes/no/on/off as text: write true or false)',
    ],
  },
  {
    file: 'yaml-syntax.yaml',
    expected: [
      '2:24: YAML: this "[" is never closed: end the list with "]" (lines that continue it must be indented more than its key)',
    ],
  },
];

describe('bad configuration files', () => {
  for (const { file, expected } of BAD_CONFIGS) {
    test(`${file} is rejected with exactly its issues, each at file:line:col`, () => {
      const text = readFileSync(new URL(file, FIXTURES), 'utf8');
      const result = parseConfigText(text, `bad/${file}`, environment);
      assert.equal(result.ok, false);
      const issues = result.ok ? [] : result.issues;
      assert.ok(issues.every((issue) => issue.file === `bad/${file}`));
      assert.deepEqual(
        issues.map((issue) => `${issue.line}:${issue.col}: ${issue.message}`),
        expected,
      );
    });
  }

  test('every fixture file has an entry in the table', () => {
    const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.yaml'));
    assert.deepEqual(files.sort(), BAD_CONFIGS.map((entry) => entry.file).sort());
  });

  test('a file with five mistakes reports five errors, in file order', () => {
    const text = readFileSync(new URL('five-mistakes.yaml', FIXTURES), 'utf8');
    const result = parseConfigText(text, 'five-mistakes.yaml', environment);
    assert.equal(result.ok, false);
    const errors = result.ok ? [] : result.issues.filter((issue) => issue.severity === 'error');
    assert.deepEqual(
      errors.map((issue) => [issue.line, issue.code]),
      [
        [4, 'WRONG_TYPE'],
        [9, 'BAD_VALUE'],
        [10, 'BAD_PATTERN'],
        [12, 'UNKNOWN_CLUSTER'],
        [14, 'BAD_TEMPLATE'],
      ],
    );
  });
});
