/**
 * The repository's copy of the captured Alertmanager bodies (test/fixtures/alertmanager) must be
 * the shared capture, byte for byte: same files, same bytes. Where the shared directory is not
 * beside the repository (a clone elsewhere), there is nothing to compare with: skipped, saying so.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, SHARED_FIXTURE_DIR } from '../helpers/fixtures.js';

const COPY = join(REPO_ROOT, 'test', 'fixtures', 'alertmanager');
const shared = existsSync(SHARED_FIXTURE_DIR);

if (!shared) {
  // A clone outside the workspace: the copy is all there is, and nothing to compare it with.
  console.warn(`SKIPPED fixture copy check: ${SHARED_FIXTURE_DIR} is not there (set SHARED_DIR to compare with it)`);
  test.skip('the fixture copy is the shared capture, byte for byte', () => undefined);
} else {
  test('the fixture copy is the shared capture, byte for byte', () => {
    const names = readdirSync(SHARED_FIXTURE_DIR).sort();
    expect(readdirSync(COPY).sort()).toEqual(names);
    for (const name of names) expect(readFileSync(join(COPY, name)).equals(readFileSync(join(SHARED_FIXTURE_DIR, name)))).toBe(true);
  });
}
