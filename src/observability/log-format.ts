// Log lines for a person at a terminal. Production writes pino's JSON lines (journald keeps them as they are,
// and jq or Loki read them); when `georep run` writes to a terminal, each JSON line is turned into one
// readable line here instead, after pino has redacted it, so both forms hold the same (scrubbed) content.
//
//   13:37:26.934 INFO  flow running  flow="london/orders -> frankfurt/london.orders" from=starting to=running
//
// A few dozen lines of our own instead of pino-pretty: that package would add a dozen dependencies to every
// production install for the benefit of a terminal.
import { writeSync } from 'node:fs';

export type LogFormat = 'json' | 'pretty';

/** `auto` means pretty when stdout is a terminal. */
export function resolveLogFormat(requested: 'auto' | LogFormat, stdoutIsTerminal: boolean): LogFormat {
  if (requested !== 'auto') return requested;
  return stdoutIsTerminal ? 'pretty' : 'json';
}

const LEVEL_COLORS: Readonly<Record<string, string>> = {
  fatal: '\x1b[41;97m',
  error: '\x1b[31m',
  warn: '\x1b[33m',
  info: '\x1b[32m',
  debug: '\x1b[36m',
  trace: '\x1b[90m',
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** Fields that every line has, or that the flow key already says. */
const OMITTED = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);
const IMPLIED_BY_FLOW = new Set(['replication', 'origin', 'destination', 'topic', 'destinationTopic']);

/** One JSON log line as one readable line (plus an indented stack for an error); other text as it is. */
export function formatLogLine(jsonLine: string, colors: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine);
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const level = String(entry.level ?? 'info');
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const paint = (code: string | undefined, text: string) =>
    colors && code ? `${code}${text}${RESET}` : text;
  const fields: string[] = [];
  let stack: string | null = null;
  for (const [key, value] of Object.entries(entry)) {
    if (OMITTED.has(key)) continue;
    if (IMPLIED_BY_FLOW.has(key) && 'flow' in entry) continue;
    if (key === 'err' && typeof value === 'object' && value !== null && 'stack' in value) {
      stack = String((value as { stack: unknown }).stack);
      continue;
    }
    fields.push(
      `${key}=${typeof value === 'string' && !/[\s"=]/.test(value) ? value : JSON.stringify(value)}`,
    );
  }
  const head = `${paint(DIM, time)} ${paint(LEVEL_COLORS[level], level.toUpperCase().padEnd(5))} ${String(entry.msg ?? '')}`;
  const tail = fields.length > 0 ? `  ${paint(DIM, fields.join(' '))}` : '';
  const stackLines = stack === null ? '' : `\n${stack.replace(/^/gm, '    ')}`;
  return `${head}${tail}${stackLines}\n`;
}

/** A pino destination that writes each line, formatted, to a file descriptor (1: stdout), synchronously. */
export function prettyDestination(fd: number, colors: boolean): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line !== '') writeSync(fd, formatLogLine(line, colors));
      }
    },
  };
}
