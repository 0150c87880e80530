// Imported first by every entry point (the georep CLI, the demo, the Kafka harness, the benchmarks, the test
// runner): ES modules run their imports in order, so this refuses an unsupported Node.js before any module
// that needs a newer one runs. bin/georep.js goes further and loads the CLI only after this check.
import { exitUnlessSupportedNode } from './supported-node.js';

exitUnlessSupportedNode();
