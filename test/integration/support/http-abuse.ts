// Hostile traffic against georep's HTTP listener, from this process, on loopback only, for a bounded time:
//   - `connections` slow requests at once (slowloris): each opens a connection, sends part of a request
//     head and then a header line every 500 ms, and opens a new one when the server closes it;
//   - malformed requests in a loop: garbage, oversized headers, bodies, other methods, foreign Hosts,
//     HTTP/0.9, broken chunked encoding;
//   - a flood of GET /status and /metrics, 50 pipelined requests per connection.
// Every loop stops by itself at the deadline; every socket is destroyed then.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface AbuseOptions {
  /** 127.0.0.1:PORT or [::1]:PORT; anything else is refused, so the test never sends this elsewhere. */
  readonly address: string;
  readonly durationMs: number;
  readonly connections: number;
  readonly malformedLoops: number;
  readonly floodLoops: number;
}

export interface AbuseReport {
  readonly connectionsOpened: number;
  readonly malformedSent: number;
  readonly floodRequests: number;
}

const MALFORMED: readonly string[] = [
  '\x00\x01\x02 not http at all\r\n\r\n',
  `GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
  `POST /status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1048576\r\n\r\n${'b'.repeat(64 * 1024)}`,
  'DELETE /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'GET /status HTTP/1.1\r\nHost: rebind.attacker.example\r\n\r\n',
  'GET /status\r\n\r\n',
  'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnope\r\n',
  `GET /${'x'.repeat(16 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
  'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.2\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
];

const PIPELINED_REQUESTS = 50;

function hostAndPort(address: string): { host: string; port: number } {
  const match = /^(127\.0\.0\.1|\[::1\]):(\d+)$/.exec(address);
  if (match === null) throw new Error(`abuse only targets loopback, not ${address}`);
  return { host: match[1] === '[::1]' ? '::1' : '127.0.0.1', port: Number(match[2]) };
}

/** Opens a connection, runs `use` on it, and resolves when it closes or at `deadlineMs` (destroying it). */
function withSocket(address: string, deadlineMs: number, use: (socket: Socket) => void): Promise<void> {
  const { host, port } = hostAndPort(address);
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const timer = setTimeout(() => socket.destroy(), Math.max(0, deadlineMs - Date.now()));
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.once('connect', () => use(socket));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function abuseHttp(options: AbuseOptions): Promise<AbuseReport> {
  const deadlineMs = Date.now() + options.durationMs;
  let connectionsOpened = 0;
  let malformedSent = 0;
  let floodRequests = 0;
  const live = () => Date.now() < deadlineMs;

  const slowLoop = async () => {
    while (live()) {
      connectionsOpened += 1;
      await withSocket(options.address, deadlineMs, (socket) => {
        socket.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        const trickle = setInterval(() => {
          if (socket.writable) socket.write('X-Slow: 1\r\n');
        }, 500);
        socket.once('close', () => clearInterval(trickle));
      });
      await sleep(100);
    }
  };
  const malformedLoop = async (offset: number) => {
    for (let index = offset; live(); index += 1) {
      malformedSent += 1;
      const text = MALFORMED[index % MALFORMED.length] ?? '';
      await withSocket(options.address, Math.min(deadlineMs, Date.now() + 2_000), (socket) =>
        socket.end(text),
      );
    }
  };
  // Pipelined: a burst of requests in one write, answered back to back without a round trip between them.
  const pipelined = Array.from(
    { length: PIPELINED_REQUESTS },
    (_, index) => `GET ${index % 2 === 0 ? '/status' : '/metrics'} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
  ).join('');
  const floodLoop = async () => {
    while (live()) {
      floodRequests += PIPELINED_REQUESTS;
      await withSocket(options.address, Math.min(deadlineMs, Date.now() + 2_000), (socket) =>
        socket.end(pipelined),
      );
    }
  };
  await Promise.all([
    ...Array.from({ length: options.connections }, () => slowLoop()),
    ...Array.from({ length: options.malformedLoops }, (_, index) => malformedLoop(index)),
    ...Array.from({ length: options.floodLoops }, () => floodLoop()),
  ]);
  return { connectionsOpened, malformedSent, floodRequests };
}
