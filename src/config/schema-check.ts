// The schema stage: validates the parsed data against schemas/geo-replication.schema.json with ajv
// (all errors, not just the first) and turns each ajv error into an issue at the right place: the KEY
// of an unknown field, the VALUE of a bad value, the parent's key for a missing field.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { IssueCollector } from './compile.js';
import { excerpt } from './excerpt.js';
import type { FieldPath } from './source-map.js';
import { closest, didYouMean } from './suggest.js';

const SCHEMA_URL = new URL('../../schemas/geo-replication.schema.json', import.meta.url);

let validator: ValidateFunction | undefined;

/** The schema as parsed JSON; read once, from the package's schemas/ folder. */
export function loadSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Record<string, unknown>;
}

function validate(data: unknown): ErrorObject[] {
  if (validator === undefined) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    // Editors (VS Code's YAML and JSON support) show this message for a failed `pattern`; so do we.
    ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
    validator = ajv.compile(loadSchema());
  }
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

/** The path of an ajv instancePath, with array indexes as numbers. */
function toPath(instancePath: string, data: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  let node = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    const key = Array.isArray(node) ? Number(part) : part;
    path.push(key);
    node = (node as Record<string | number, unknown> | undefined)?.[key];
  }
  return path;
}

/** Passwords and keys are never echoed, not even a wrongly typed one. */
function isSecretField(path: FieldPath): boolean {
  const last = path[path.length - 1];
  return last === 'password' || (last === 'key' && path[path.length - 2] === 'tls');
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return 'a whole number';
    if (Number.isNaN(value)) return 'NaN';
    // .inf, or a number too large for a double (1e400), which YAML reads as infinite
    return Number.isFinite(value) ? `the fraction ${value}` : 'an infinite number';
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return 'a string';
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'empty',
};

function typeHint(expected: readonly string[], value: unknown, path: FieldPath): string {
  if (expected.includes('boolean') && typeof value === 'string' && /^(yes|no|on|off|y|n)$/i.test(value)) {
    return ' (YAML 1.2 reads yes/no/on/off as text: write true or false)';
  }
  if (expected.includes('array') && typeof value === 'string')
    return ' (write a list as [a, b] or as lines starting with "- ")';
  if (expected.includes('integer') && typeof value === 'string' && /^\d+$/.test(value.trim()))
    return ` (write it without quotes: ${value.trim()})`;
  const last = path[path.length - 1];
  if (expected.includes('integer') && typeof last === 'string' && last.endsWith('Ms'))
    return ' (milliseconds, e.g. 5000)';
  if (expected.includes('integer') && typeof value === 'string' && String(last).endsWith('BytesPerSecond'))
    return ' (bytes per second, e.g. 20000000 for 20 MB/s)';
  return '';
}

/** A value as a message shows it: a long string only by its first characters. */
function quote(value: unknown): string {
  return typeof value === 'string' ? excerpt(value) : String(value);
}

function entries(count: number): string {
  return count === 1 ? '1 entry' : `${count} entries`;
}

/**
 * A required field that is only missing because it was misspelt (`bootsrap` for `bootstrap`) is one
 * mistake: the unknown-field message names the fix, so the missing-field message is left out.
 */
function misspeltRequiredFields(errors: readonly ErrorObject[]): Set<string> {
  const misspelt = new Set<string>();
  for (const error of errors) {
    if (error.keyword !== 'additionalProperties') continue;
    const known = Object.keys(((error.parentSchema ?? {}) as Record<string, unknown>).properties ?? {});
    const suggestion = closest(String(error.params.additionalProperty), known);
    if (suggestion !== null) misspelt.add(`${error.instancePath}/${suggestion}`);
  }
  return misspelt;
}

/** Keywords that judge a value's size: beside a wrong type (0.5 for a whole number), only the type is reported. */
const RANGE_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

export function checkSchema(data: unknown, collector: IssueCollector): void {
  const errors = validate(data);
  const misspelt = misspeltRequiredFields(errors);
  const wronglyTyped = new Set(
    errors.filter((error) => error.keyword === 'type').map((error) => error.instancePath),
  );
  for (const error of errors) {
    if (RANGE_KEYWORDS.has(error.keyword) && wronglyTyped.has(error.instancePath)) continue;
    // The details of a failed propertyNames are reported by its `propertyNames` error itself.
    if ((error as { propertyName?: string }).propertyName !== undefined) continue;
    if (
      error.keyword === 'required' &&
      misspelt.has(`${error.instancePath}/${String(error.params.missingProperty)}`)
    ) {
      continue;
    }
    const path = toPath(error.instancePath, data);
    const params = error.params as Record<string, unknown>;
    const parentSchema = (error.parentSchema ?? {}) as Record<string, unknown>;
    const value: unknown = error.data;
    switch (error.keyword) {
      case 'additionalProperties': {
        const field = String(params.additionalProperty);
        const known = Object.keys((parentSchema.properties ?? {}) as object);
        const hint = didYouMean(field, known) || `; known fields: ${known.join(', ')}`;
        collector.error('UNKNOWN_FIELD', [...path, field], 'key', `unknown field "${field}"${hint}`);
        break;
      }
      case 'required':
        collector.error(
          'MISSING_FIELD',
          path,
          'key',
          `missing required field "${String(params.missingProperty)}"`,
        );
        break;
      case 'dependentRequired':
        collector.error(
          'MISSING_FIELD',
          [...path, String(params.property)],
          'key',
          `"${String(params.property)}" needs "${String(params.missingProperty)}" too`,
        );
        break;
      case 'type': {
        const expected = String(params.type).split(',');
        const phrase = expected.map((type) => TYPE_NAMES[type] ?? type).join(' or ');
        collector.error(
          'WRONG_TYPE',
          path,
          'value',
          `must be ${phrase}, not ${kindOf(value)}${typeHint(expected, value, path)}`,
        );
        break;
      }
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map(String);
        const shown = typeof value === 'string' ? quote(value) : kindOf(value);
        const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
        collector.error('BAD_VALUE', path, 'value', `${shown} is not one of ${allowed.join(', ')}${hint}`);
        break;
      }
      case 'pattern': {
        const explanation =
          typeof parentSchema.patternErrorMessage === 'string'
            ? parentSchema.patternErrorMessage
            : `must match ${String(params.pattern)}`;
        collector.error(
          'BAD_VALUE',
          path,
          'value',
          `${isSecretField(path) ? 'the value' : quote(value)} ${explanation}`,
        );
        break;
      }
      case 'propertyNames': {
        const name = String(params.propertyName);
        const nameSchema = (error.schema ?? {}) as Record<string, unknown>;
        const explanation =
          typeof nameSchema.patternErrorMessage === 'string'
            ? nameSchema.patternErrorMessage
            : 'is not allowed';
        collector.error('BAD_VALUE', [...path, name], 'key', `name ${quote(name)} ${explanation}`);
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const comparison = String(params.comparison);
        const bound = comparison.startsWith('>') ? 'at least' : 'at most';
        const exclusive = comparison.length === 1 ? ' (exclusive)' : '';
        // A number as written: the double read from 9007199254740993 is 9007199254740992.
        const shown =
          typeof value === 'number' ? (collector.source.writtenAt(path) ?? quote(value)) : quote(value);
        collector.error(
          'BAD_VALUE',
          path,
          'value',
          `${shown} is out of range: must be ${bound} ${String(params.limit)}${exclusive}`,
        );
        break;
      }
      case 'minLength':
        collector.error('BAD_VALUE', path, 'value', 'must not be empty');
        break;
      case 'minItems':
        collector.error('BAD_VALUE', path, 'value', `must list at least ${entries(Number(params.limit))}`);
        break;
      case 'maxItems':
        collector.error('BAD_VALUE', path, 'value', `must list at most ${entries(Number(params.limit))}`);
        break;
      case 'minProperties':
      case 'maxProperties': {
        const known = Object.keys((parentSchema.properties ?? {}) as object);
        const message =
          known.length > 0 && parentSchema.maxProperties === 1
            ? `must have exactly one of ${known.join(', ')}`
            : `must have at least ${entries(Number(params.limit))}`;
        collector.error('BAD_VALUE', path, 'value', message);
        break;
      }
      case 'uniqueItems': {
        const first = Math.min(Number(params.i), Number(params.j));
        const second = Math.max(Number(params.i), Number(params.j));
        const duplicate = (value as unknown[])[second];
        collector.error(
          'BAD_VALUE',
          [...path, second],
          'value',
          `${quote(duplicate)} is already listed at [${first}]`,
        );
        break;
      }
      default:
        collector.error('BAD_VALUE', path, 'value', error.message ?? 'is not valid');
    }
  }
}
