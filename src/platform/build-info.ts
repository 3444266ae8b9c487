/**
 * What this build is: the package version, the git revision it was built from and the
 * Node.js running it. scripts/build.mjs writes version and revision into the bundle
 * (esbuild `define`); code run from sources (tests, tsx) reads package.json and reports
 * the revision as "unknown".
 */
import { readFileSync } from 'node:fs';

declare const AUTOREMEDIATOR_BUILD: { version: string; revision: string } | undefined;

export interface BuildInfo {
  version: string;
  revision: string;
  node: string;
}

function fromSources(): { version: string; revision: string } {
  // src/platform/ or dist/src/platform/: package.json is two or three levels up.
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'autoremediator' && pkg.version) return { version: pkg.version, revision: 'unknown' };
    } catch {
      // not there
    }
  }
  return { version: 'unknown', revision: 'unknown' };
}

export const buildInfo: BuildInfo = {
  ...(typeof AUTOREMEDIATOR_BUILD !== 'undefined' ? AUTOREMEDIATOR_BUILD : fromSources()),
  node: process.version,
};
