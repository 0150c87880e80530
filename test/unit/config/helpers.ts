// Test doubles for the loader's outside world: an environment with only the variables and files a
// test gives it, rooted at /etc/georep.
import type { LoadEnvironment } from '../../../src/config/environment.js';
import { type LoadResult, parseConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';

export const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
export const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n';

export function fakeEnvironment(
  options: { env?: Record<string, string>; files?: Record<string, string>; baseDir?: string } = {},
): LoadEnvironment {
  const files = options.files ?? {};
  return {
    baseDir: options.baseDir ?? '/etc/georep',
    env: (name) => options.env?.[name],
    readFile: (path, maxBytes) => {
      if (!(path in files)) return { ok: false, reason: 'no such file' };
      const text = files[path]!;
      const sizeBytes = Buffer.byteLength(text);
      return sizeBytes > maxBytes
        ? { ok: false, reason: `it is ${sizeBytes} bytes, more than ${maxBytes}`, sizeBytes }
        : { ok: true, text };
    },
  };
}

export function parse(text: string, environment: LoadEnvironment = fakeEnvironment()): LoadResult {
  return parseConfigText(text, 'geo.yaml', environment);
}

/** The issues of an invalid text as `line:col: message` lines (warnings marked), for exact comparisons. */
export function problems(text: string, environment?: LoadEnvironment): string[] {
  const result = parse(text, environment);
  const issues = result.ok ? result.warnings : result.issues;
  return issues.map(
    (issue) =>
      `${issue.line}:${issue.col}: ${issue.severity === 'warning' ? 'warning: ' : ''}${issue.message}`,
  );
}

/** The config of a text that must be valid; fails the test with the issues otherwise. */
export function compiled(text: string, environment?: LoadEnvironment): Config {
  const result = parse(text, environment);
  if (!result.ok) throw new Error(`expected a valid config, got:\n${problems(text, environment).join('\n')}`);
  return result.config;
}
