// Tests that run the CLI as a real process (quick start, SIGTERM/SIGKILL) run the bundle users
// run (dist/autoremediator.mjs): build it from the current sources once before the suite.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
