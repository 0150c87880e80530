// The forms in which a password could leak into an output, for tests that search every output for them.
import { createHash, scryptSync } from 'node:crypto';

/**
 * The password itself and digests that identify it offline: a plain SHA-256 prefix, and the scrypt
 * fingerprint /status used to show before issue 17.
 */
export function passwordDerivedForms(password: string): string[] {
  return [
    password,
    createHash('sha256').update(password).digest('hex').slice(0, 16),
    scryptSync(password, 'georep.secret-fingerprint.v1', 12, {
      N: 2 ** 15,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    }).toString('hex'),
  ];
}
