// Notices when a cluster's password or private key changes between two loads of the file, without keeping
// or showing anything from which a secret could be guessed: each cluster's secrets are kept only as an HMAC
// under a key drawn at random when the process starts (never written anywhere), and what the rest of georep
// sees is a count of changes per cluster. A changed secret therefore still restarts that cluster's flows
// and clients on reload, while /status, logs, errors and `georep plan` hold no password-derived value.
import { createHmac, randomBytes } from 'node:crypto';
import type { ClusterConfig, Config } from '../config/types.js';

export class CredentialChanges {
  readonly #key = randomBytes(32);
  readonly #digests = new Map<string, string>();
  readonly #counts = new Map<string, number>();

  /** Takes the secrets of a config put in force; returns how often each cluster's secrets changed so far. */
  observe(config: Config): ReadonlyMap<string, number> {
    for (const [name, cluster] of config.clusters) {
      const digest = this.#digestOf(cluster);
      const before = this.#digests.get(name);
      if (before !== undefined && before !== digest)
        this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
      this.#digests.set(name, digest);
    }
    return new Map(this.#counts);
  }

  #digestOf(cluster: ClusterConfig): string {
    const secrets = [cluster.sasl?.password.reveal() ?? null, cluster.tls?.key?.reveal() ?? null];
    return createHmac('sha256', this.#key).update(JSON.stringify(secrets)).digest('hex');
  }
}
