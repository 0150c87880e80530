// Relative paths in a config reached through symlinks (TLS files, `${file:…}`) resolve against the folder of
// the path as the operator wrote it, not the folder of the file it points at: in a Kubernetes pod, the
// ConfigMap's files are links in the mount folder and a Secret is mounted beside them, so only the mount
// folder sees both; a link to a file rendered elsewhere keeps finding the secrets next to the link.
// `georep validate` (what Ansible's `validate:` runs) and the daemon read the file through the same loader,
// so they resolve the same way; both are checked here.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfigFile } from '../../../src/config/load.js';
import { georepInProcess } from '../../support/run-cli.js';
import { PEM_CERTIFICATE } from './helpers.js';

const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'georep-symlinked-paths-')));
after(() => rmSync(scratch, { recursive: true, force: true }));

const CONFIG = `
clusters:
  london:
    bootstrap: [kafka-lon-1:9093]
    tls: { ca: ca.pem }
    sasl: { mechanism: scram-sha-512, username: georep, password: "\${file:secrets/london.password}" }
  paris: { bootstrap: [kafka-par-1:9092] }
replications:
  - origin: london
    destinations: [paris]
    topics: { include: [orders] }
`;

/** Only the owner may read, as a Secret mounted with `defaultMode: 0400` or a file rendered with mode 0600. */
function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text, { mode: 0o600 });
}

/** A folder laid out as kubelet mounts a ConfigMap or a Secret: each file a link through `..data`. */
function kubernetesMount(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [name, text] of Object.entries(files)) {
    write(path.join(dir, '..2026_12_04_v1', name), text);
    symlinkSync(`..data/${name}`, path.join(dir, name));
  }
  symlinkSync('..2026_12_04_v1', path.join(dir, '..data'));
}

async function validate(file: string) {
  const result = await georepInProcess(['validate', file]);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** What the daemon loads: the CA's text and the password's resolved value. */
function loaded(file: string): { ca: string | undefined; password: string | undefined } {
  const result = loadConfigFile(file);
  if (!result.ok) {
    assert.fail(
      'unreadable' in result ? result.unreadable : result.issues.map((issue) => issue.message).join('\n'),
    );
  }
  const london = result.config.clusters.get('london');
  const password = london?.sasl?.password;
  return {
    ca: london?.tls?.ca ?? undefined,
    password: password?.reveal(),
  };
}

describe('relative paths behind symlinks resolve against the folder of the path as written', () => {
  test('a ConfigMap mount with a Secret mounted beside it: the config, its CA and the password all load', async () => {
    const mount = path.join(scratch, 'pod', 'etc', 'georep');
    kubernetesMount(mount, { 'geo-replication.yaml': CONFIG, 'ca.pem': PEM_CERTIFICATE });
    kubernetesMount(path.join(mount, 'secrets'), { 'london.password': 'from-the-secret\n' });
    const file = path.join(mount, 'geo-replication.yaml');
    assert.deepEqual(loaded(file), { ca: PEM_CERTIFICATE, password: 'from-the-secret' });
    assert.deepEqual(await validate(file), {
      status: 0,
      output: `${file}: valid (2 clusters, 1 replication)\n`,
    });
  });

  test('a link to a file rendered elsewhere finds the files next to the link, not next to the target', async () => {
    const etc = path.join(scratch, 'host', 'etc', 'georep');
    write(path.join(etc, 'ca.pem'), PEM_CERTIFICATE);
    write(path.join(etc, 'secrets', 'london.password'), 'next-to-the-link\n');
    const rendered = path.join(scratch, 'host', 'srv', 'rendered', 'geo-replication.yaml');
    write(rendered, CONFIG);
    symlinkSync(rendered, path.join(etc, 'geo-replication.yaml'));
    const file = path.join(etc, 'geo-replication.yaml');
    assert.deepEqual(loaded(file), { ca: PEM_CERTIFICATE, password: 'next-to-the-link' });
    assert.equal((await validate(file)).status, 0);
    // The target's own folder has neither: resolving there would have failed.
    assert.equal(loadConfigFile(rendered).ok, false);
  });
});
