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

  async run<T>(action: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
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
}
