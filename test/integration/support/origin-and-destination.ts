// The two local clusters of a test file that mirrors one way, named `origin` and `destination` (their folders
// and the harness's messages say so), with the harness's progress on stderr.
//
//   before(async (context) => ({ run, origin, destination } = await startOriginAndDestination({ signal: context.signal })));
import {
  type LocalKafkaCluster,
  type LocalKafkaRun,
  type StartClustersOptions,
  startClusters,
} from '../../../harness/kafka-local.js';

export interface OriginAndDestination {
  readonly run: LocalKafkaRun;
  readonly origin: LocalKafkaCluster;
  readonly destination: LocalKafkaCluster;
}

export async function startOriginAndDestination(
  options: Omit<StartClustersOptions, 'count' | 'names' | 'onProgress'>,
): Promise<OriginAndDestination> {
  const run = await startClusters({
    ...options,
    count: 2,
    names: ['origin', 'destination'],
    onProgress: (message) => process.stderr.write(`${message}\n`),
  });
  const [origin, destination] = run.clusters as [LocalKafkaCluster, LocalKafkaCluster];
  return { run, origin, destination };
}
