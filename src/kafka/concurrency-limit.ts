// At most `limit` async actions running at a time; the others wait their turn, in order. Bounds the admin
// requests one client has queued on its connections (see request-coalescer.ts for why that matters).

export class ConcurrencyLimit {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (limit < 1) throw new Error('a concurrency limit must be at least 1');
    this.#limit = limit;
  }

  /** Runs `action` in its turn; rejects with the signal's reason, without running it, if aborted while waiting. */
  async run<T>(action: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#running >= this.#limit) await this.#turn(signal);
    else this.#running++;
    try {
      return await action();
    } finally {
      // the slot passes straight to the next waiter, so #running never drops below the waiters' need
      const next = this.#waiting.shift();
      if (next === undefined) this.#running--;
      else next();
    }
  }

  #turn(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const giveUp = () => {
        const index = this.#waiting.indexOf(take);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      const take = () => {
        signal?.removeEventListener('abort', giveUp);
        resolve();
      };
      this.#waiting.push(take);
      signal?.addEventListener('abort', giveUp, { once: true });
    });
  }
}
