#!/usr/bin/env node
// The CLI, bundled by `npm run build` (run by `npm ci` through the prepare script).
import '../dist/autoremediator.mjs';
