// A WAN on loopback: a TCP proxy of our own between clients and one server (this machine's kernel has no
// netem). Each direction is a link with a one-way delay and a bandwidth: a chunk that arrives is sent on once
// the link has carried the chunks before it (bytes / bandwidth) and the delay has passed, so that a round
// trip costs both delays and a transfer costs its bytes over the bandwidth, as across regions.
//
//   const proxy = await WanProxy.start({ target: { host: '127.0.0.1', port: 9092 }, shape: wanShape(100) });
//   proxy.address  // '127.0.0.1:41234': connect here instead of to the target
//   await proxy.close();
//
// The bandwidth of a direction is shared by all connections, as one link between two sites is. Chunks leave
// in the order they came, per connection and direction; bytes are passed on unchanged. Memory is bounded:
// a connection that has `windowBytes` in flight in one direction stops reading that side until the link
// delivered them (as a TCP window bounds what a sender may have unacknowledged).
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One direction of the link. */
export interface LinkShape {
  /** Time a chunk takes from one end to the other once the link carried it. */
  readonly delayMs: number;
  /** Bytes per second the link carries; null: as fast as loopback. */
  readonly bytesPerSecond: number | null;
}

export interface WanShape {
  /** Client → server (requests, and a producer's records). */
  readonly toServer: LinkShape;
  /** Server → client (responses, and a consumer's records). */
  readonly toClient: LinkShape;
}

/** The same link both ways: half the round trip each way. */
export function wanShape(roundTripMs: number, bytesPerSecond: number | null = null): WanShape {
  const link = { delayMs: roundTripMs / 2, bytesPerSecond };
  return { toServer: link, toClient: link };
}

/**
 * Bytes one connection may have in flight in one direction before the proxy stops reading that side.
 * Large enough that a 150 ms round trip does not cap a connection below 100 MB/s.
 */
const DEFAULT_WINDOW_BYTES = 16 * 1024 * 1024;

export interface WanProxyOptions {
  readonly target: { readonly host: string; readonly port: number };
  readonly shape: WanShape;
  /** Port to listen on, on 127.0.0.1; default: any free one. */
  readonly port?: number;
  readonly windowBytes?: number;
}

/**
 * How late the proxy passed chunks on, past the time their link delivers them: this process's own delays (a
 * busy event loop, timers), which a measurement through the proxy includes. Counted per millisecond, up to
 * MAX_LATE_MS (later ones count there), so that memory stays the same however long it runs.
 */
const MAX_LATE_MS = 10_000;

export interface Lateness {
  readonly chunks: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

class LatenessCounts {
  #counts = new Uint32Array(MAX_LATE_MS + 1);
  #chunks = 0;
  #maxMs = 0;

  add(lateMs: number): void {
    const whole = Math.min(MAX_LATE_MS, Math.max(0, Math.floor(lateMs)));
    this.#counts[whole]! += 1;
    this.#chunks += 1;
    this.#maxMs = Math.max(this.#maxMs, lateMs);
  }

  /** Whole milliseconds (p50, p99: the millisecond the chunk at that rank fell in). */
  figures(): Lateness {
    const rank = (fraction: number) => {
      const wanted = Math.max(1, Math.ceil(fraction * this.#chunks));
      let seen = 0;
      for (let ms = 0; ms <= MAX_LATE_MS; ms++) {
        seen += this.#counts[ms]!;
        if (seen >= wanted) return ms;
      }
      return MAX_LATE_MS;
    };
    return { chunks: this.#chunks, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: Math.round(this.#maxMs) };
  }

  reset(): void {
    this.#counts.fill(0);
    this.#chunks = 0;
    this.#maxMs = 0;
  }
}

/** One direction of the link, shared by every connection: when a chunk given to it now arrives. */
class Link {
  #freeAtMs = 0;

  constructor(public shape: LinkShape) {}

  arrivalMs(bytes: number, nowMs: number): number {
    const { bytesPerSecond, delayMs } = this.shape;
    const startMs = Math.max(nowMs, this.#freeAtMs);
    this.#freeAtMs = startMs + (bytesPerSecond === null ? 0 : (bytes * 1000) / bytesPerSecond);
    return this.#freeAtMs + delayMs;
  }
}

/** One direction of one connection: reads `from`, writes each chunk to `to` when the link delivers it. */
class DelayedPipe {
  readonly #queue: { chunk: Buffer; dueMs: number }[] = [];
  #queuedBytes = 0;
  #ended = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly link: Link,
    private readonly windowBytes: number,
    /** Each chunk passed on: its bytes, and how late past its due time. */
    private readonly onPassed: (bytes: number, lateMs: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => this.#take(chunk));
    from.on('end', () => {
      this.#ended = true;
      if (this.#timer === null) this.#flush();
    });
    to.on('drain', () => this.#readIfRoom());
  }

  /** Bytes taken in and not yet passed on. */
  get heldBytes(): number {
    return this.#queuedBytes;
  }

  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #take(chunk: Buffer): void {
    // A queue, not a timer per chunk: a chunk due earlier than the one before it (a shorter delay set
    // meanwhile) still waits behind it, so the stream keeps its order.
    this.#queue.push({ chunk, dueMs: this.link.arrivalMs(chunk.length, performance.now()) });
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes + this.to.writableLength > this.windowBytes) this.from.pause();
    if (this.#queue.length === 1) this.#flush();
  }

  #flush(): void {
    this.#timer = null;
    const nowMs = performance.now();
    while (this.#queue.length > 0 && this.#queue[0]!.dueMs <= nowMs) {
      const { chunk, dueMs } = this.#queue.shift()!;
      this.#queuedBytes -= chunk.length;
      this.onPassed(chunk.length, nowMs - dueMs);
      if (!this.to.destroyed) this.to.write(chunk);
    }
    if (this.#queue.length > 0) {
      this.#timer = setTimeout(() => this.#flush(), Math.max(0, this.#queue[0]!.dueMs - nowMs));
    } else if (this.#ended) {
      this.to.end();
    }
    this.#readIfRoom();
  }

  #readIfRoom(): void {
    if (this.from.isPaused() && this.#queuedBytes + this.to.writableLength <= this.windowBytes / 2) {
      this.from.resume();
    }
  }
}

export class WanProxy {
  readonly #server: Server;
  readonly #toServer: Link;
  readonly #toClient: Link;
  readonly #sockets = new Set<Socket>();
  readonly #pipes = new Set<DelayedPipe>();
  /** Bytes passed on, per direction, since the proxy started. */
  readonly bytes = { toServer: 0, toClient: 0 };
  readonly #lateness = new LatenessCounts();

  private constructor(server: Server, shape: WanShape) {
    this.#server = server;
    this.#toServer = new Link(shape.toServer);
    this.#toClient = new Link(shape.toClient);
  }

  static async start(options: WanProxyOptions): Promise<WanProxy> {
    const server = createServer();
    const proxy = new WanProxy(server, options.shape);
    const windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
    server.on('connection', (client) => proxy.#accept(client, options.target, windowBytes));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('the WAN proxy is not listening');
    return address.port;
  }

  /** host:port for clients. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get shape(): WanShape {
    return { toServer: this.#toServer.shape, toClient: this.#toClient.shape };
  }

  /** A new delay or bandwidth, for chunks that arrive from now on (chunks in flight keep their time). */
  setShape(shape: WanShape): void {
    this.#toServer.shape = shape.toServer;
    this.#toClient.shape = shape.toClient;
  }

  /** Bytes the proxy holds now, taken in and not yet passed on (both directions, every connection). */
  get heldBytes(): number {
    let held = 0;
    for (const pipe of this.#pipes) held += pipe.heldBytes;
    return held;
  }

  /** How late chunks were passed on (both directions) since the proxy started or lateness() was last reset. */
  lateness(options: { reset?: boolean } = {}): Lateness {
    const figures = this.#lateness.figures();
    if (options.reset === true) this.#lateness.reset();
    return figures;
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    for (const pipe of this.#pipes) pipe.close();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, target: WanProxyOptions['target'], windowBytes: number): void {
    const server = tcpConnect({ host: target.host, port: target.port });
    client.setNoDelay(true);
    server.setNoDelay(true);
    const pipes = [
      new DelayedPipe(client, server, this.#toServer, windowBytes, (bytes, lateMs) => {
        this.bytes.toServer += bytes;
        this.#lateness.add(lateMs);
      }),
      new DelayedPipe(server, client, this.#toClient, windowBytes, (bytes, lateMs) => {
        this.bytes.toClient += bytes;
        this.#lateness.add(lateMs);
      }),
    ];
    const sockets = [client, server];
    for (const pipe of pipes) this.#pipes.add(pipe);
    for (const socket of sockets) {
      this.#sockets.add(socket);
      // A reset on either side resets the other: the proxy must not keep half a connection alive.
      socket.on('error', () => {
        for (const other of sockets) other.destroy();
      });
      socket.on('close', () => {
        this.#sockets.delete(socket);
        if (sockets.every((each) => each.destroyed)) {
          for (const pipe of pipes) {
            pipe.close();
            this.#pipes.delete(pipe);
          }
        }
      });
    }
  }
}
