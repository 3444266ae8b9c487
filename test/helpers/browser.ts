/**
 * A real browser in tests: Debian's chromium (apt-get install -y chromium) driven by
 * playwright-core, which downloads no browser. Headless, --no-sandbox (the tests run as root
 * in CI). Without chromium the tests skip saying how to install it, except with CI=true, where
 * they fail.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { describeWithBinaries } from './binaries.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function describeWithBrowser(bins: Record<string, string>, name: string, fn: () => void): void {
  if (existsSync(CHROMIUM)) {
    describeWithBinaries(bins, name, fn);
    return;
  }
  const message = `${name}: needs a Chromium at ${CHROMIUM} (playwright-core downloads none); install with: apt-get install -y chromium (or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('chromium is installed (CI=true)', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${message}`);
  describe.skip(name, fn);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}
