// Which Node.js runs georep: the supported range, and what an operator reads when an older Node starts it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  isSupportedNode,
  SUPPORTED_NODE_RANGE,
  unsupportedNodeMessage,
} from '../../../src/cli/supported-node.js';
import { unsupportedSystemNode } from '../../support/system-node.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('the supported Node.js versions', () => {
  const cases: [version: string, supported: boolean][] = [
    ['20.19.0', false],
    ['20.20.2', false],
    ['22.21.1', false],
    ['22.22.0', true],
    ['v22.23.3', true],
    ['23.11.0', false],
    ['24.5.0', false],
    ['24.6.0', true],
    ['v24.21.0', true],
    ['25.0.0', true],
    ['26.1.0', true],
    ['not a version', false],
  ];
  for (const [version, supported] of cases) {
    test(`${version}: ${supported ? 'supported' : 'refused'}`, () => {
      assert.equal(isSupportedNode(version), supported);
    });
  }

  test('package.json declares the same range in engines.node', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(manifest.engines.node, SUPPORTED_NODE_RANGE);
  });

  test('the Node.js that npm puts first on PATH, node_modules/.bin/node, is supported', () => {
    const bundled = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'node'), ['--version'], {
      encoding: 'utf8',
    });
    assert.equal(isSupportedNode(bundled.stdout.trim()), true, bundled.stdout);
  });
});

describe('the message for an unsupported Node.js', () => {
  test('names the version found, the range needed and the same command on the Node georep brings', () => {
    const message = unsupportedNodeMessage({
      version: '20.20.2',
      execPath: '/usr/bin/node',
      commandArgs: ['/usr/local/bin/georep', 'validate', "/etc/georep/it's.yaml"],
      bundledNode: '/opt/georep/current/lib/node_modules/georep/node_modules/.bin/node',
    });
    assert.equal(
      message,
      [
        `georep needs Node.js ${SUPPORTED_NODE_RANGE}, but was started by Node.js 20.20.2 (/usr/bin/node).`,
        'Run it on the Node.js 24 that georep brings: through npm (npx georep …, npm run …), or directly:',
        "  /opt/georep/current/lib/node_modules/georep/node_modules/.bin/node /usr/local/bin/georep validate '/etc/georep/it'\\''s.yaml'",
        '',
      ].join('\n'),
    );
  });

  test('says so when the Node georep brings is not installed', () => {
    const message = unsupportedNodeMessage({
      version: '20.20.2',
      execPath: '/usr/bin/node',
      commandArgs: ['/usr/local/bin/georep', 'run'],
      bundledNode: undefined,
    });
    assert.match(
      message,
      /^georep needs Node\.js .+, but was started by Node\.js 20\.20\.2 \(\/usr\/bin\/node\)\.\n/,
    );
    assert.match(
      message,
      /georep brings Node\.js 24 for Linux on x64 and arm64 only .*\n.*not installed here/,
    );
  });
});

const oldNode = unsupportedSystemNode();

describe('bin/georep.js on an unsupported Node.js', {
  skip: oldNode === undefined && 'no unsupported Node.js on PATH (CI has the system Node 20)',
}, () => {
  test('exits 2 at once with the message and nothing else', () => {
    const result = spawnSync(
      oldNode?.path ?? '',
      [path.join(ROOT, 'bin', 'georep.js'), 'validate', 'x.yaml'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    const [first, second, third] = result.stderr.split('\n');
    assert.equal(
      first,
      `georep needs Node.js ${SUPPORTED_NODE_RANGE}, but was started by Node.js ${oldNode?.version} (${oldNode?.path}).`,
    );
    assert.match(second ?? '', /^Run it on the Node\.js 24 that georep brings/);
    const bundledNode = path.join(ROOT, 'node_modules', '.bin', 'node');
    assert.equal(third, `  ${bundledNode} ${path.join(ROOT, 'bin', 'georep.js')} validate x.yaml`);
  });
});
