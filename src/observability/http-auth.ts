// Basic authentication against bcrypt hashes, as in a Prometheus exporter's web-config file. bcrypt is
// slow on purpose (cost 10 takes ~60 ms of the event loop in JavaScript), so a flood of wrong passwords
// must not become a way to stop the flows: a password once verified is remembered (under a per-process
// HMAC key, never printed), and at most `bcryptPerSecond` comparisons run, the rest get 429.
import { createHmac, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { parseBasicAuth } from './http-access.js';

export type AuthOutcome = 'ok' | 'denied' | 'busy';

export interface BasicAuthLimits {
  /** bcrypt comparisons allowed per second on average. */
  readonly bcryptPerSecond: number;
  /** How many may run back to back after a quiet time. */
  readonly bcryptBurst: number;
  /** Verified user/password pairs remembered. */
  readonly maxRemembered: number;
}

export const BASIC_AUTH_LIMITS: BasicAuthLimits = { bcryptPerSecond: 2, bcryptBurst: 4, maxRemembered: 32 };

/** Compared when the user is unknown, so that a wrong user costs as long as a wrong password. */
const UNKNOWN_USER_HASH = '$2b$10$K.iCkIZFfpVY8p7nNxYlfObxn/kIyaz4z5Sbqc8BaAWN1T2RCn3fS';

export class BasicAuthenticator {
  readonly #users: ReadonlyMap<string, string>;
  readonly #limits: BasicAuthLimits;
  readonly #nowMs: () => number;
  readonly #key = randomBytes(32);
  readonly #remembered = new Set<string>();
  #tokens: number;
  #refilledAtMs: number;

  constructor(
    users: ReadonlyMap<string, string>,
    limits: BasicAuthLimits = BASIC_AUTH_LIMITS,
    nowMs: () => number = Date.now,
  ) {
    this.#users = users;
    this.#limits = limits;
    this.#nowMs = nowMs;
    this.#tokens = limits.bcryptBurst;
    this.#refilledAtMs = nowMs();
  }

  async check(authorization: string | undefined): Promise<AuthOutcome> {
    const credentials = parseBasicAuth(authorization);
    if (credentials === null) return 'denied';
    const hash = this.#users.get(credentials.user);
    const memo = createHmac('sha256', this.#key)
      .update(`${credentials.user}\0${credentials.password}\0${hash ?? ''}`)
      .digest('hex');
    if (hash !== undefined && this.#remembered.has(memo)) return 'ok';
    if (!this.#takeToken()) return 'busy';
    const matches = await bcrypt.compare(credentials.password, hash ?? UNKNOWN_USER_HASH);
    if (!matches || hash === undefined) return 'denied';
    if (this.#remembered.size >= this.#limits.maxRemembered) this.#remembered.clear();
    this.#remembered.add(memo);
    return 'ok';
  }

  #takeToken(): boolean {
    const now = this.#nowMs();
    const refill = ((now - this.#refilledAtMs) / 1000) * this.#limits.bcryptPerSecond;
    this.#tokens = Math.min(this.#limits.bcryptBurst, this.#tokens + refill);
    this.#refilledAtMs = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
