// The lane readers of a cluster (lane-source.ts): a reader is shared by the flows of its lane and closed once none
// holds it. A flow still attaching holds it too: here the cluster refuses connections, so attaching never gets
// past joining the group, and what is checked is which flow's stop() or failure closes the reader.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import type { ClusterConfig } from '../../../src/config/types.js';
import type { LaneReader } from '../../../src/kafka/platformatic/lane-reader.js';
import type { LaneAttachment } from '../../../src/kafka/platformatic/lane-restarts.js';
import { LaneReaders } from '../../../src/kafka/platformatic/lane-source.js';
import type { LaneSourceOptions } from '../../../src/kafka/port.js';

/** A port nothing listens on: connections to it are refused. */
async function refusingPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  await new Promise((closed) => server.close(closed));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

function cluster(port: number): ClusterConfig {
  return {
    name: 'origin',
    bootstrap: [`127.0.0.1:${port}`],
    tls: null,
    sasl: null,
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 1000,
    position: { file: 'georep.yaml', line: 1, col: 1 },
  };
}

function lane(topic: string): LaneSourceOptions {
  return { topic, laneGroupId: 'georep.lane.test', startPosition: 'earliest' };
}

test('a flow stopping while another flow of its lane attaches leaves the lane reader open for that one', async () => {
  const lanes = new LaneReaders(cluster(await refusingPort()));
  const first = lanes.source(lane('first'));
  const second = lanes.source(lane('second'));
  const firstRun = first.run(async () => {});
  const secondRun = second.run(async () => {});
  // Both attach at once; the first stops before either got past joining the group.
  await first.stop();
  await firstRun;
  assert.equal(lanes.size, 1, 'the second flow, still attaching, keeps its lane reader');
  // The second stops too while attaching: its reader goes once attaching ended (nothing listens: it fails).
  await second.stop();
  await secondRun;
  await waitFor(() => lanes.size === 0);
});

test('a flow that fails gives up its batches in handlers, so that no write of it retries on after it', async () => {
  let attachment: LaneAttachment | undefined;
  const reader = {
    attachedCount: 0,
    attach: async (attaching: LaneAttachment) => {
      attachment = attaching;
    },
    close: async () => {},
  } as unknown as LaneReader;
  const lanes = new (class extends LaneReaders {
    override readerFor(): LaneReader {
      return reader;
    }
  })(cluster(1));
  const running = lanes.source(lane('orders')).run(async () => {});
  await waitFor(() => attachment !== undefined);
  assert.equal(attachment!.signal.aborted, false);
  attachment!.fail(new Error('INVALID_PRODUCER_EPOCH'));
  await assert.rejects(running, /INVALID_PRODUCER_EPOCH/);
  assert.equal(attachment!.signal.aborted, true, "its handlers' retries end with the flow");
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((tick) => setTimeout(tick, 20));
}
