// One serial loop for every trigger (startup, file change, SIGHUP, the discovery timer): requests that
// arrive close together are coalesced into one reconcile, and a reconcile never overlaps another. A request
// that arrives while a reconcile runs schedules exactly one more after it, so no change is missed.

export type ReconcileTrigger = 'startup' | 'file-change' | 'sighup' | 'discovery' | 'retry';

export interface ReconcileLoopOptions {
  /** Requests within this window after the first one are served by the same reconcile. */
  readonly coalesceMs: number;
  /** Runs one reconcile with every trigger collected since the previous one. Errors are the callee's job. */
  readonly reconcile: (triggers: ReadonlySet<ReconcileTrigger>) => Promise<void>;
  /** Told about an error that escaped `reconcile` (a bug there); the loop itself carries on. */
  readonly onUnexpectedError: (error: unknown) => void;
}

export class ReconcileLoop {
  readonly #options: ReconcileLoopOptions;
  #pendingTriggers = new Set<ReconcileTrigger>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: ReconcileLoopOptions) {
    this.#options = options;
  }

  /** Asks for a reconcile; cheap and safe to call from any event handler. */
  request(trigger: ReconcileTrigger): void {
    if (this.#stopped) return;
    this.#pendingTriggers.add(trigger);
    this.#schedule();
  }

  /** Resolves once no reconcile runs or waits to run. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Refuses new requests, drops pending ones and waits for a running reconcile to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pendingTriggers.clear();
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    await this.#running;
    this.#notifyIfIdle();
  }

  #schedule(): void {
    // While a reconcile runs, the pending triggers wait for it; #runOnce schedules again when it ends.
    if (this.#timer !== null || this.#running !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.#runOnce();
    }, this.#options.coalesceMs);
  }

  async #runOnce(): Promise<void> {
    const triggers = this.#pendingTriggers;
    this.#pendingTriggers = new Set();
    try {
      await this.#options.reconcile(triggers);
    } catch (error) {
      this.#options.onUnexpectedError(error);
    } finally {
      this.#running = null;
      if (this.#pendingTriggers.size > 0 && !this.#stopped) this.#schedule();
      this.#notifyIfIdle();
    }
  }

  #isIdle(): boolean {
    return this.#running === null && this.#timer === null && this.#pendingTriggers.size === 0;
  }

  #notifyIfIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
