// Clusters a user already runs, given to the tests instead of local ones:
//
//   GEOREP_TEST_BOOTSTRAP_A=kafka-a:9092            the first cluster (turns external mode on)
//   GEOREP_TEST_BOOTSTRAP_B=kafka-b1:9092,kafka-b2:9092   the second, and so on with _C, _D, …
//
// Letters must be consecutive from A. Only PLAINTEXT listeners are supported. Tests create topics with
// unique names on them and delete what they created; a test that needs more clusters than are given, or
// a local-only ability (killing a broker, reading its data dir), is skipped with the reason.
export interface ExternalCluster {
  /** 'a', 'b', … after the variable's letter. */
  name: string;
  /** host:port list, as clients take it. */
  brokers: string[];
  /** The variable it came from, for messages. */
  source: string;
}

const VARIABLE_PREFIX = 'GEOREP_TEST_BOOTSTRAP_';
const HOST_PORT = /^[A-Za-z0-9._-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/;

/** The external clusters named by the environment, in letter order; empty when none is given. */
export function externalClustersFromEnv(env: NodeJS.ProcessEnv = process.env): ExternalCluster[] {
  const letters = Object.keys(env)
    .filter((key) => key.startsWith(VARIABLE_PREFIX) && env[key] !== '')
    .map((key) => key.slice(VARIABLE_PREFIX.length))
    .sort();
  const clusters: ExternalCluster[] = [];
  letters.forEach((letter, index) => {
    const expected = String.fromCharCode('A'.charCodeAt(0) + index);
    if (letter !== expected) {
      throw new Error(
        `${VARIABLE_PREFIX}${letter} is set but ${VARIABLE_PREFIX}${expected} is not: name clusters A, B, C, … in order`,
      );
    }
    const source = `${VARIABLE_PREFIX}${letter}`;
    const brokers = (env[source] ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    for (const broker of brokers) {
      if (!HOST_PORT.test(broker)) throw new Error(`${source}: "${broker}" is not host:port`);
    }
    clusters.push({ name: letter.toLowerCase(), brokers, source });
  });
  return clusters;
}
