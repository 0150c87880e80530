// Logs are JSON lines on stdout, which journald stores as they are. Context travels in child loggers
// (`logger.child({ flow })`), never in concatenated strings. Secrets are `Secret` objects that serialize as
// "[secret]"; the redact paths below are a second line of defence for credentials that reach a log as
// plain strings (e.g. inside a client library's error).
import { pino } from 'pino';
import type { LogLevel } from '../config/types.js';

export type Logger = pino.Logger;

// pino's `*` matches exactly one level, so each plausible depth is listed (see STACK-NOTES.md).
const REDACTED_PATHS = [
  'password',
  'sasl.password',
  '*.password',
  '*.sasl.password',
  '*.*.sasl.password',
  'key',
  'tls.key',
  '*.tls.key',
  '*.*.tls.key',
];

export function createLogger(
  level: LogLevel,
  destination: pino.DestinationStream = pino.destination(1),
): Logger {
  return pino(
    {
      level,
      base: { service: 'georep' },
      redact: { paths: REDACTED_PATHS, censor: '[secret]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
