// Work done once for many callers that a failure must not break for good: joining a lane's group once for all its
// flows, reading an old group's offsets once per attachment. Callers meanwhile share the attempt under way; once
// it failed, the next call starts another. Never two at once.

export class SharedAttempt<T> {
  readonly #start: () => Promise<T>;
  #current: Promise<T> | undefined;
  #settled = false;

  constructor(start: () => Promise<T>) {
    this.#start = start;
  }

  /** The attempt under way or succeeded; a new one when there is none or the last one failed. */
  get(): Promise<T> {
    if (this.#current !== undefined) return this.#current;
    const attempt = this.#start();
    this.#current = attempt;
    this.#settled = false;
    attempt.then(
      () => {
        if (this.#current === attempt) this.#settled = true;
      },
      () => {
        if (this.#current === attempt) this.#current = undefined;
      },
    );
    return attempt;
  }

  /**
   * Forgets a succeeded attempt, whose result no longer holds (a joined membership was lost since): the next get()
   * starts another. An attempt under way is kept, as it still answers its callers.
   */
  forget(): void {
    if (this.#settled) this.#current = undefined;
  }
}
