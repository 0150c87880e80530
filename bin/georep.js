#!/usr/bin/env node
// Entry point installed as the `georep` command; the compiled CLI lives in dist/ (built by `npm run build`,
// which `npm ci` runs through the `prepare` script). The Node.js version is checked before the CLI is
// loaded (a dynamic import), so that an old Node prints which Node georep needs, not a failure of some
// module deep inside; see docs/node-runtime.md.
import '../dist/cli/require-supported-node.js';

await import('../dist/cli/main.js');
