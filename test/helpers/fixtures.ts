/**
 * The captured Alertmanager bodies in ../shared/fixtures/alertmanager, read byte
 * for byte (never reformatted). SHARED_DIR overrides where shared/ is.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DIR = process.env.SHARED_DIR ?? resolve(REPO_ROOT, '..', 'shared');
export const FIXTURE_DIR = join(SHARED_DIR, 'fixtures', 'alertmanager');

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURE_DIR, name.endsWith('.json') ? name : `${name}.json`));
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();
}
