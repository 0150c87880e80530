// Child process for the harness test: starts one local cluster, prints its JVM's pid and marker, then waits
// to be killed. Run as: node --import tsx start-cluster-and-wait.ts <version>
import { startClusters } from '../../../harness/kafka-local.js';
import { parseKafkaVersion } from '../../../harness/versions.js';

const version = parseKafkaVersion(process.argv[2] ?? '', 'argument');
const run = await startClusters({ count: 1, version });
const cluster = run.clusters[0]!;
process.stdout.write(`${JSON.stringify({ pid: cluster.pid, marker: cluster.marker })}\n`);
setInterval(() => {}, 60_000);
