// Many small admin requests of one kind sent as few big ones. When thousands of flows start at once, each asks
// for its own topic's metadata, configs and creation; Kafka's Metadata, DescribeConfigs and CreateTopics all
// take a list. The coalescer collects the calls arriving within a short window, or while earlier batches are in
// flight, and sends them as batches of at most `maxBatchSize`, with at most `maxInFlight` batches at a time:
// what reaches a connection's queue stays bounded, however many flows start (the library's queue fails its
// queued requests recursively when a connection closes, overflowing the stack with thousands of them).

export interface RequestCoalescerOptions<I, O> {
  /** Most inputs in one batch. */
  readonly maxBatchSize: number;
  /** How long the first call of a batch waits for others. */
  readonly windowMs: number;
  /** Most batches sent at a time; calls arriving meanwhile wait and go out together. */
  readonly maxInFlight: number;
  /** Sends one batch; answers one output per input, in the inputs' order. */
  readonly send: (inputs: readonly I[]) => Promise<readonly O[]>;
  /**
   * Whether the inputs of a failed batch are sent again one by one, so that each caller gets its own outcome
   * (Kafka answered with an error for some of them) rather than the batch's. Never, when absent.
   */
  readonly sendAloneAfter?: (error: unknown) => boolean;
}

interface PendingCall<I, O> {
  readonly input: I;
  readonly resolve: (output: O) => void;
  readonly reject: (error: unknown) => void;
}

export class RequestCoalescer<I, O> {
  readonly #options: RequestCoalescerOptions<I, O>;
  #pending: PendingCall<I, O>[] = [];
  #inFlight = 0;
  #window: NodeJS.Timeout | null = null;

  constructor(options: RequestCoalescerOptions<I, O>) {
    if (options.maxBatchSize < 1 || options.maxInFlight < 1) {
      throw new Error('maxBatchSize and maxInFlight must be at least 1');
    }
    this.#options = options;
  }

  /** The output for `input`, sent in a batch with whatever other calls arrive meanwhile. */
  request(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      if (this.#pending.length >= this.#options.maxBatchSize) this.#flush();
      else this.#window ??= setTimeout(() => this.#flush(), this.#options.windowMs);
    });
  }

  #flush(): void {
    if (this.#window !== null) clearTimeout(this.#window);
    this.#window = null;
    while (this.#inFlight < this.#options.maxInFlight && this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#options.maxBatchSize);
      this.#inFlight++;
      void this.#send(batch).finally(() => {
        this.#inFlight--;
        // the calls that arrived while this batch was out have waited long enough
        if (this.#pending.length > 0) this.#flush();
      });
    }
  }

  async #send(batch: readonly PendingCall<I, O>[]): Promise<void> {
    try {
      const outputs = await this.#options.send(batch.map(({ input }) => input));
      if (outputs.length !== batch.length) {
        throw new Error(`a batch of ${batch.length} was answered with ${outputs.length} outputs`);
      }
      for (const [index, call] of batch.entries()) call.resolve(outputs[index]!);
    } catch (error) {
      if (batch.length === 1 || !(this.#options.sendAloneAfter?.(error) ?? false)) {
        for (const call of batch) call.reject(error);
        return;
      }
      // one after another: the batch's slot is all this failure may use
      for (const call of batch) {
        try {
          call.resolve((await this.#options.send([call.input]))[0]!);
        } catch (aloneError) {
          call.reject(aloneError);
        }
      }
    }
  }
}
