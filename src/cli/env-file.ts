// Reads environment files in systemd's EnvironmentFile= format (KEY=VALUE lines, # comments, optional
// quotes), so that `georep validate --environment-file` sees the variables the service will get.

/** The variables of one file; malformed lines are reported by line number, never by content. */
export function parseEnvFile(text: string): { variables: Map<string, string>; badLines: number[] } {
  const variables = new Map<string, string>();
  const badLines: number[] = [];
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      badLines.push(index + 1);
      continue;
    }
    const [, name, rawValue] = match as unknown as [string, string, string];
    const quoted = /^"(.*)"$/.exec(rawValue) ?? /^'(.*)'$/.exec(rawValue);
    variables.set(name, quoted ? quoted[1]! : rawValue);
  }
  return { variables, badLines };
}
