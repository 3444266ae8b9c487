/** Where things are, from the repository root. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The captured Alertmanager bodies (a copy of shared/fixtures/alertmanager, byte for byte). */
export const ALERTS_DIR = join(REPO_ROOT, 'examples', 'alerts');
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
