// How messages quote what a user wrote: whole when short, otherwise a prefix and the length, so that an
// error about a 50 MB value prints a line rather than the value.

/** Values up to this many characters are quoted whole. */
export const MAX_QUOTED_CHARS = 60;

/** The text as a JSON string, or its first characters and its length when it is long. */
export function excerpt(text: string): string {
  if (text.length <= MAX_QUOTED_CHARS) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, MAX_QUOTED_CHARS))}… (${text.length} characters)`;
}
