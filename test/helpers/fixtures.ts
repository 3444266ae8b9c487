/**
 * The captured Alertmanager bodies, read byte for byte (never reformatted). The repository
 * carries a byte-for-byte copy of ../shared/fixtures/alertmanager in test/fixtures/alertmanager,
 * so that a clone anywhere runs its tests (test/unit/fixtures.test.ts checks the copy against the
 * shared capture when that is there); SHARED_DIR points the tests at another shared/ instead.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shared capture directory beside the repository (SHARED_DIR overrides where shared/ is). */
export const SHARED_FIXTURE_DIR = join(process.env.SHARED_DIR ?? resolve(REPO_ROOT, '..', 'shared'), 'fixtures', 'alertmanager');
export const FIXTURE_DIR = process.env.SHARED_DIR ? SHARED_FIXTURE_DIR : join(REPO_ROOT, 'test', 'fixtures', 'alertmanager');

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURE_DIR, name.endsWith('.json') ? name : `${name}.json`));
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();
}

/**
 * Bodies a real Alertmanager 0.25 sent for today's shipped alert rules over current exporters'
 * series (test/fixtures/alertmanager-current, captured by scripts/capture-current-alerts.ts).
 */
export const CURRENT_FIXTURE_DIR = join(REPO_ROOT, 'test', 'fixtures', 'alertmanager-current');

export function currentFixture(name: string): Buffer {
  return readFileSync(join(CURRENT_FIXTURE_DIR, name.endsWith('.json') ? name : `${name}.json`));
}

export function currentFixtureNames(): string[] {
  return readdirSync(CURRENT_FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();
}
