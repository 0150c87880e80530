// The status page as the daemon serves it: the view model inlined into the page's one script, and a
// Content-Security-Policy whose hashes are those of that script and style, so the browser runs nothing else.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { buildStatusPage, statusPage, VIEW_MODEL_MARKER } from '../../src/observability/status-page.js';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('status page', () => {
  test('the view model goes into the script, and the policy names the hashes of the script and the style', () => {
    const template = `<style>b{}</style><script type="module">\n${VIEW_MODEL_MARKER}\nrender();</script>`;
    const page = buildStatusPage(template, 'export function render() {} // $& $1');
    assert.equal(
      page.body,
      '<style>b{}</style><script type="module">\nexport function render() {} // $& $1\nrender();</script>',
    );
    const policy = page.headers['content-security-policy'] ?? '';
    const script = '\nexport function render() {} // $& $1\nrender();';
    assert.ok(policy.includes(`script-src ${hash(script)};`), policy);
    assert.ok(policy.includes(`style-src ${hash('b{}')};`), policy);
    assert.match(policy, /^default-src 'none';/);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  });

  test('a page without the marker, or with a second script, is refused with the reason', () => {
    assert.throws(
      () => buildStatusPage('<style></style><script></script>', ''),
      /"\/\/ status-view\.js" once/,
    );
    assert.throws(
      () => buildStatusPage(`<style></style><script>${VIEW_MODEL_MARKER}</script><script></script>`, ''),
      /one <script>, not 2/,
    );
  });

  test('the page in web/ builds: its script holds the view model and loads nothing from elsewhere', () => {
    const { body } = statusPage();
    assert.match(body, /export function groupByReplication/);
    assert.doesNotMatch(body, /\bsrc=|\bhref=|@import|https?:\/\//, 'nothing is loaded from elsewhere');
    assert.doesNotMatch(body, new RegExp(VIEW_MODEL_MARKER));
  });
});
