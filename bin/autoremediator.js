#!/usr/bin/env node
// The CLI, compiled by `npm run build` (run by `npm ci` through the prepare script).
import '../dist/src/cli.js';
