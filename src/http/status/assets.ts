/**
 * The status page's static files: status.js and status.css (src/http/status/assets/) and
 * uPlot's build. `npm run build` copies them beside the bundle (dist/assets/, which the
 * Docker image carries) and beside tsc's output; from the sources uPlot comes from
 * node_modules. Read once, kept in memory (about 60 KB).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ASSETS: Record<string, string> = {
  'status.js': 'text/javascript; charset=utf-8',
  'status.css': 'text/css; charset=utf-8',
  'uPlot.iife.min.js': 'text/javascript; charset=utf-8',
  'uPlot.min.css': 'text/css; charset=utf-8',
};

export interface Asset {
  type: string;
  body: Buffer;
  etag: string;
}

const loaded = new Map<string, Asset | null>();

function locate(name: string): string | null {
  const here = fileURLToPath(new URL('./assets/', import.meta.url));
  if (existsSync(join(here, name))) return join(here, name);
  if (name.startsWith('uPlot')) {
    try {
      return createRequire(import.meta.url).resolve(`uplot/dist/${name}`);
    } catch {
      return null;
    }
  }
  return null;
}

/** The asset of that name, or null for a name that is not one (or a file that is missing). */
export function readAsset(name: string): Asset | null {
  if (!Object.hasOwn(ASSETS, name)) return null;
  if (!loaded.has(name)) {
    const file = locate(name);
    const body = file ? readFileSync(file) : null;
    loaded.set(name, body ? { type: ASSETS[name]!, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` } : null);
  }
  return loaded.get(name) ?? null;
}
