#!/usr/bin/env node
// Entry point installed as the `georep` command; the compiled CLI lives in dist/ (built by `npm run build`,
// which `npm ci` runs through the `prepare` script).
import '../dist/cli/main.js';
