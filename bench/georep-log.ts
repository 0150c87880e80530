// georep's JSON log as a benchmark reads it while georep runs: the file is read from where the last look
// ended, so that watching a flow change state costs a few bytes, not a /status of every flow (which at
// thousands of flows is megabytes, and would load the process being measured).
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** One log line of a flow's state change: `flow running` ({from, to}), `flow failed: …` ({reason}). */
export interface FlowLogLine {
  readonly flow: string;
  readonly msg: string;
  readonly from?: string;
  readonly to?: string;
  readonly reason?: string;
  /** When this process read it (performance.now() clock). */
  readonly readAtMs: number;
}

export class GeorepLog {
  readonly #file: string;
  #offset = 0;
  #pending = '';
  /** Every line of a flow seen so far, in order. */
  readonly flowLines: FlowLogLine[] = [];

  constructor(file: string) {
    this.#file = file;
  }

  /** Reads what georep wrote since the last look. */
  async read(): Promise<void> {
    const handle = await open(this.#file, 'r');
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.#offset);
        if (bytesRead === 0) break;
        this.#offset += bytesRead;
        this.#pending += buffer.toString('utf8', 0, bytesRead);
      }
    } finally {
      await handle.close();
    }
    const lines = this.#pending.split('\n');
    this.#pending = lines.pop() ?? '';
    const readAtMs = performance.now();
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as Partial<FlowLogLine>;
      if (typeof parsed.flow === 'string' && typeof parsed.msg === 'string' && parsed.msg.startsWith('flow '))
        this.flowLines.push({ ...parsed, flow: parsed.flow, msg: parsed.msg, readAtMs });
    }
  }

  /** Resolves with the first line from `fromIndex` on that `accept`s, polling every `pollMs`. */
  async waitForLine(
    what: string,
    accept: (line: FlowLogLine) => boolean,
    options: { readonly fromIndex: number; readonly timeoutMs: number; readonly pollMs: number },
    signal: AbortSignal,
  ): Promise<FlowLogLine> {
    const deadline = performance.now() + options.timeoutMs;
    let index = options.fromIndex;
    for (;;) {
      await this.read();
      for (; index < this.flowLines.length; index++) {
        const line = this.flowLines[index] as FlowLogLine;
        if (accept(line)) return line;
      }
      if (performance.now() > deadline)
        throw new Error(`no ${what} in georep's log after ${options.timeoutMs} ms`);
      await sleep(options.pollMs, undefined, { signal });
    }
  }
}
