// Property test: thousands of random mutations of the example files (keys deleted, values of the wrong
// type, duplicated keys, garbage characters, truncation…). Whatever the text, validation must not throw
// and must end either valid or with errors that each point inside the file; no message may contain a
// secret. Reproducible: the PRNG is seeded (GEOREP_FUZZ_SEED overrides the seed), and a failure prints
// the seed, the mutation and the text.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, isSeq, type Pair, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { systemEnvironment } from '../../../src/config/environment.js';
import { parseConfigText } from '../../../src/config/load.js';
import { seededRandom } from '../../support/seeded-random.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const SEED = Number(process.env.GEOREP_FUZZ_SEED ?? 20_251_126);
const MUTATIONS_PER_EXAMPLE = 800;
const SECRET_VALUES = [
  'placeholder-london-password',
  'placeholder-frankfurt-password',
  'PLACEHOLDER: replace with the private key',
];

/** The same sequence for the same seed on every platform. */
const prng = seededRandom;

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const GARBAGE = [
  ':',
  '{',
  '}',
  '[',
  ']',
  '-',
  '#',
  '&',
  '*',
  '!',
  '|',
  '>',
  "'",
  '"',
  '%',
  '@',
  '`',
  '\t',
  '\n',
  ' ',
  '?',
  ',',
  '\\',
  'x',
  '0',
  '\r\n',
  '\u00e9',
  '${',
  '${env:',
  '\u0000',
];
const VALUES: unknown[] = [
  0,
  -1,
  3.5,
  99_999_999_999,
  '',
  'text',
  '/(/',
  '{topic',
  true,
  false,
  null,
  [],
  ['a'],
  {},
  { a: 1 },
  '${env:NOPE}',
  '${file:/nope}',
];

/** Every collection pair and sequence item of a document, to mutate one at random. */
function collections(node: unknown, found: (YAMLMap | YAMLSeq)[] = []): (YAMLMap | YAMLSeq)[] {
  if (isMap(node) || isSeq(node)) {
    found.push(node);
    for (const item of node.items) collections(isPair(item) ? item.value : item, found);
  }
  return found;
}

function mutateStructure(text: string, random: Random): { description: string; text: string } {
  const doc = parseDocument(text, { uniqueKeys: false });
  // Text that an earlier mutation broke has no structure to change: break it some more instead.
  if (doc.errors.length > 0) return mutateText(text, random);
  const targets = collections(doc.contents);
  if (targets.length === 0) return mutateText(text, random);
  const target = pick(random, targets);
  if (target.items.length === 0) return { description: 'structure: nothing to change', text };
  const index = Math.floor(random() * target.items.length);
  const action = pick(random, ['delete', 'retype', 'duplicate'] as const);
  if (action === 'delete') {
    target.items.splice(index, 1);
  } else if (action === 'retype') {
    const value = doc.createNode(pick(random, VALUES));
    if (isMap(target)) (target.items[index] as Pair).value = value;
    else (target as YAMLSeq).items[index] = value;
  } else if (isMap(target)) {
    const pair = target.items[index] as Pair;
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    target.items.push(doc.createPair(key, pick(random, VALUES)) as Pair);
  } else {
    (target as YAMLSeq).items.push((target as YAMLSeq).items[index]);
  }
  try {
    return { description: `structure: ${action} item ${index}`, text: doc.toString() };
  } catch {
    // yaml refuses to write some documents that it read (an anchor with a control character).
    return mutateText(text, random);
  }
}

function mutateText(text: string, random: Random): { description: string; text: string } {
  const offset = Math.floor(random() * (text.length + 1));
  const lines = text.split('\n');
  const line = Math.floor(random() * lines.length);
  switch (
    pick(random, ['garbage', 'truncate', 'delete-line', 'duplicate-line', 'indent', 'swap-lines'] as const)
  ) {
    case 'garbage': {
      const garbage = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(random, GARBAGE)).join(
        '',
      );
      return {
        description: `insert ${JSON.stringify(garbage)} at ${offset}`,
        text: text.slice(0, offset) + garbage + text.slice(offset),
      };
    }
    case 'truncate':
      return { description: `truncate at ${offset}`, text: text.slice(0, offset) };
    case 'delete-line':
      return {
        description: `delete line ${line + 1}`,
        text: lines.filter((_, index) => index !== line).join('\n'),
      };
    case 'duplicate-line':
      return {
        description: `duplicate line ${line + 1}`,
        text: lines.flatMap((content, index) => (index === line ? [content, content] : [content])).join('\n'),
      };
    case 'indent':
      return {
        description: `indent line ${line + 1}`,
        text: lines.map((content, index) => (index === line ? ` ${content}` : content)).join('\n'),
      };
    case 'swap-lines': {
      const other = Math.floor(random() * lines.length);
      const swapped = [...lines];
      [swapped[line], swapped[other]] = [swapped[other]!, swapped[line]!];
      return { description: `swap lines ${line + 1} and ${other + 1}`, text: swapped.join('\n') };
    }
  }
}

/** What must hold for any text: no throw, and valid or errors placed inside the file, no secret shown. */
function problemWith(text: string): string | null {
  const environment = systemEnvironment(EXAMPLES);
  let result: ReturnType<typeof parseConfigText>;
  try {
    result = parseConfigText(text, 'mutated.yaml', environment);
  } catch (error) {
    return `threw ${error instanceof Error ? error.stack : String(error)}`;
  }
  const issues = result.ok ? result.warnings : result.issues;
  if (!result.ok && !issues.some((issue) => issue.severity === 'error')) return 'invalid without an error';
  const lines = text.split('\n');
  for (const issue of issues) {
    const content = lines[issue.line - 1];
    if (content === undefined || issue.col < 1 || issue.col > content.length + 1) {
      return `issue outside the file at ${issue.line}:${issue.col}: ${issue.message}`;
    }
    if (issue.file !== 'mutated.yaml' || issue.message.trim() === '')
      return `malformed issue ${JSON.stringify(issue)}`;
    const leaked = SECRET_VALUES.find((secret) => issue.message.includes(secret));
    if (leaked !== undefined) return `a message shows a secret: ${issue.message}`;
  }
  return null;
}

describe('validation of mutated examples', () => {
  const examples = readdirSync(EXAMPLES).filter((name) => name.endsWith('.yaml'));

  for (const [exampleIndex, example] of examples.entries()) {
    test(`${MUTATIONS_PER_EXAMPLE} mutations of ${example} never throw and always place their errors (seed ${SEED})`, () => {
      const original = readFileSync(`${EXAMPLES}${example}`, 'utf8');
      const random = prng(SEED + exampleIndex);
      let invalid = 0;
      for (let iteration = 0; iteration < MUTATIONS_PER_EXAMPLE; iteration++) {
        let text = original;
        const applied: string[] = [];
        for (let step = 0, steps = 1 + Math.floor(random() * 3); step < steps; step++) {
          const mutation = random() < 0.5 ? mutateStructure(text, random) : mutateText(text, random);
          applied.push(mutation.description);
          text = mutation.text;
        }
        const problem = problemWith(text);
        if (problem !== null) {
          assert.fail(
            `seed ${SEED + exampleIndex} (GEOREP_FUZZ_SEED=${SEED}), ${example}, iteration ${iteration}: ${applied.join('; ')}\n${problem}\n--- text ---\n${text}`,
          );
        }
        if (!parseConfigText(text, 'mutated.yaml', systemEnvironment(EXAMPLES)).ok) invalid++;
      }
      // The mutations must actually break files, or the test proves nothing.
      assert.ok(
        invalid > MUTATIONS_PER_EXAMPLE / 4,
        `only ${invalid} of ${MUTATIONS_PER_EXAMPLE} mutations were invalid`,
      );
    });
  }
});
