// Tests that run the CLI as a real process (quick start, SIGTERM/SIGKILL) need dist/ built
// from the current sources: build once before the suite.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
