// The status page served at / and /ui: one HTML file (web/status-page.html) whose inline script polls /status
// and draws the page, with the view model (web/status-view.js) put into that script when the page is first
// asked for. Nothing is loaded from elsewhere, and the Content-Security-Policy says so: the browser runs only
// the one inline script and style whose hashes it names, and connects only to this listener.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The line of status-page.html's script that status-view.js replaces. */
export const VIEW_MODEL_MARKER = '// status-view.js';

export interface StatusPage {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** web/ is beside src/ and dist/, so the same path serves from the sources and from the installed package. */
const WEB_DIR = new URL('../../web/', import.meta.url);

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function onlyElement(html: string, tag: 'script' | 'style'): string {
  const matches = [...html.matchAll(new RegExp(`<${tag}\\b[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))];
  if (matches.length !== 1) throw new Error(`the status page must have one <${tag}>, not ${matches.length}`);
  return matches[0]?.[1] ?? '';
}

/** The page with the view model inlined, and the headers it is served with. Pure: the tests call it. */
export function buildStatusPage(template: string, viewModel: string): StatusPage {
  if (template.split(VIEW_MODEL_MARKER).length !== 2) {
    throw new Error(`the status page must have the line "${VIEW_MODEL_MARKER}" once`);
  }
  const body = template.replace(VIEW_MODEL_MARKER, () => viewModel);
  const policy = [
    "default-src 'none'",
    `script-src ${sha256(onlyElement(body, 'script'))}`,
    `style-src ${sha256(onlyElement(body, 'style'))}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    body,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': policy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  };
}

let loaded: StatusPage | null = null;

/** Reads and builds the page once; a missing file throws (the server answers 500 naming it). */
export function statusPage(): StatusPage {
  loaded ??= buildStatusPage(
    readFileSync(new URL('status-page.html', WEB_DIR), 'utf8'),
    readFileSync(new URL('status-view.js', WEB_DIR), 'utf8'),
  );
  return loaded;
}
