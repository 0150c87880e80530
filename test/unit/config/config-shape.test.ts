// The config's shape is written twice on purpose: the JSON Schema (schemas/geo-replication.schema.json) is what
// editors, `georep validate` and operators read; src/config/types.ts is what the code reads after compiling.
// This test fails as soon as the two drift: every enum of the schema equals a const array of types.ts, and every
// mapping of the schema has exactly the fields of its compiled interface, except the differences listed below,
// each with its reason. The interfaces are read from types.ts's source with the TypeScript compiler's parser.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import ts from 'typescript';
import schema from '../../../schemas/geo-replication.schema.json' with { type: 'json' };
import {
  COMPRESSION_SETTINGS,
  DELIVERY_GUARANTEES,
  LOG_LEVELS,
  LOOP_PREVENTIONS,
  ORIGIN_TOPIC_DELETED_ACTIONS,
  SASL_MECHANISMS,
  START_POSITIONS,
} from '../../../src/config/types.js';

const TYPES_FILE = new URL('../../../src/config/types.ts', import.meta.url);

/** Schema enum (by its JSON pointer) → the const array of types.ts that the code uses. */
const ENUMS: Readonly<Record<string, readonly string[]>> = {
  '/$defs/sasl/properties/mechanism': SASL_MECHANISMS,
  '/$defs/replication/properties/loopPrevention': LOOP_PREVENTIONS,
  '/$defs/replication/properties/start': START_POSITIONS,
  '/$defs/replication/properties/delivery': DELIVERY_GUARANTEES,
  '/$defs/replication/properties/onOriginTopicDeleted': ORIGIN_TOPIC_DELETED_ACTIONS,
  '/$defs/replication/properties/compression': COMPRESSION_SETTINGS,
  '/$defs/daemon/properties/logLevel': LOG_LEVELS,
};

interface Section {
  /** The schema's mapping, as a JSON pointer. */
  readonly schemaPointer: string;
  /** The compiled interface in types.ts. */
  readonly interfaceName: string;
  /** Fields only the compiled form has, and why. */
  readonly compiledOnly: Readonly<Record<string, string>>;
  /** Schema fields compiled into another form, and which field of the interface holds it. */
  readonly compiledAs: Readonly<Record<string, string>>;
}

const SECTIONS: readonly Section[] = [
  {
    schemaPointer: '/$defs/cluster',
    interfaceName: 'ClusterConfig',
    compiledOnly: { name: 'the key under `clusters:`', position: 'where the cluster is written, for errors' },
    compiledAs: {},
  },
  { schemaPointer: '/$defs/tls', interfaceName: 'TlsSettings', compiledOnly: {}, compiledAs: {} },
  { schemaPointer: '/$defs/sasl', interfaceName: 'SaslSettings', compiledOnly: {}, compiledAs: {} },
  {
    schemaPointer: '/$defs/replication',
    interfaceName: 'ReplicationConfig',
    compiledOnly: { position: 'where the replication is written, for errors' },
    compiledAs: { topicConfig: 'topicConfigExclude' },
  },
  { schemaPointer: '/$defs/daemon', interfaceName: 'DaemonSettings', compiledOnly: {}, compiledAs: {} },
];

type SchemaNode = { [key: string]: unknown };

function at(pointer: string): SchemaNode {
  let node: unknown = schema;
  for (const part of pointer.split('/').slice(1)) node = (node as SchemaNode)[part];
  assert.ok(node !== undefined && typeof node === 'object', `the schema has ${pointer}`);
  return node as SchemaNode;
}

/** Every `enum` in the schema, by JSON pointer. */
function schemaEnums(node: unknown, pointer = ''): Map<string, unknown[]> {
  const found = new Map<string, unknown[]>();
  if (node === null || typeof node !== 'object') return found;
  const enumValues = (node as SchemaNode).enum;
  if (Array.isArray(enumValues)) found.set(pointer, enumValues);
  for (const [key, child] of Object.entries(node)) {
    for (const [childPointer, values] of schemaEnums(child, `${pointer}/${key}`))
      found.set(childPointer, values);
  }
  return found;
}

/** The property names of each interface declared in types.ts. */
function interfaceFields(): Map<string, string[]> {
  const source = ts.createSourceFile('types.ts', readFileSync(TYPES_FILE, 'utf8'), ts.ScriptTarget.Latest);
  const fields = new Map<string, string[]>();
  for (const statement of source.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    fields.set(
      statement.name.text,
      statement.members.flatMap((member) =>
        ts.isPropertySignature(member) && ts.isIdentifier(member.name) ? [member.name.text] : [],
      ),
    );
  }
  return fields;
}

describe('the config shape: schema and compiled types agree', () => {
  test('every enum of the schema equals the const array of types.ts the code uses', () => {
    const enums = schemaEnums(schema);
    assert.deepEqual(
      [...enums.keys()].filter((pointer) => !(pointer in ENUMS)),
      [],
      'schema enums with no const array in src/config/types.ts (add one and list it in ENUMS)',
    );
    for (const [pointer, values] of Object.entries(ENUMS)) {
      assert.deepEqual(enums.get(pointer), [...values], `${pointer} in the schema and types.ts`);
    }
  });

  for (const section of SECTIONS) {
    test(`${section.schemaPointer} has the fields of ${section.interfaceName}`, () => {
      const compiled = interfaceFields().get(section.interfaceName);
      assert.ok(compiled !== undefined, `src/config/types.ts declares ${section.interfaceName}`);
      const fromSchema = Object.keys(at(section.schemaPointer).properties as SchemaNode).map(
        (field) => section.compiledAs[field] ?? field,
      );
      const expected = [...fromSchema, ...Object.keys(section.compiledOnly)].sort();
      assert.deepEqual(
        [...compiled].sort(),
        expected,
        `${section.interfaceName} (src/config/types.ts) and ${section.schemaPointer} (the schema) differ`,
      );
    });
  }
});
