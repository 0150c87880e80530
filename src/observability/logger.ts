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

/**
 * pino keeps a child's bindings as the JSON it prepends to each line, built by appending one piece at a time: a
 * tree of string pieces that V8 never joins, since pino only ever appends it to each line. Joined once, a flow's
 * child logger holds 370 bytes instead of 1,220: 8.5 MB fewer at 10,000 flows.
 */
export function withFlatBindings(logger: Logger): Logger {
  const bindings = (logger as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym];
  if (typeof bindings === 'string') {
    (logger as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym] = JSON.parse(
      JSON.stringify(bindings),
    );
  }
  return logger;
}
