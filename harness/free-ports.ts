// Free TCP ports on loopback for the harness's brokers, which bind them seconds later (a JVM starting).
//
// They are picked below the kernel's ephemeral range (32768–60999 by default), not by listening on port 0: a
// port the kernel handed out as ephemeral may be handed out again to any client's connection, and one that
// took it before the broker bound it would fail that broker's start. Test files that run side by side
// (scripts/run-tests.sh) pick from separate blocks, GEOREP_TEST_PORT_BLOCK, so that neither takes a port the
// other found free and has not bound yet.
import { randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:net';

const FIRST_BLOCK_PORT = 12_000;
const BLOCK_PORTS = 4_000;
/** 12000–31999: all below 32768. */
const BLOCKS = 5;
/**
 * Ports this process handed out: not handed out again, as their brokers may still be starting (a test file
 * starts the clusters of both Kafka versions at once).
 */
const handedOut = new Set<number>();

/** The ports of GEOREP_TEST_PORT_BLOCK (0 when unset), as [first, end). */
export function portBlock(env: NodeJS.ProcessEnv = process.env): readonly [number, number] {
  const block = Number(env.GEOREP_TEST_PORT_BLOCK ?? 0);
  if (!Number.isInteger(block) || block < 0 || block >= BLOCKS)
    throw new Error(`GEOREP_TEST_PORT_BLOCK must be 0 to ${BLOCKS - 1}, not ${env.GEOREP_TEST_PORT_BLOCK}`);
  const first = FIRST_BLOCK_PORT + block * BLOCK_PORTS;
  return [first, first + BLOCK_PORTS];
}

/** Listens on `port`; null when it is taken. */
function listenOn(port: number): Promise<Server | null> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(null) : reject(error),
    );
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

/**
 * Returns `count` distinct free ports on 127.0.0.1, at random in this process's block, none handed out before
 * by this process. All of them are held open until every one is found.
 */
export async function findFreePorts(count: number): Promise<number[]> {
  const [first, end] = portBlock();
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < count; tries++) {
      if (tries >= BLOCK_PORTS) throw new Error(`no ${count} free ports in ${first}–${end - 1}`);
      const port = randomInt(first, end);
      if (ports.includes(port) || handedOut.has(port)) continue;
      const server = await listenOn(port);
      if (server === null) continue;
      servers.push(server);
      ports.push(port);
    }
    for (const port of ports) handedOut.add(port);
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
