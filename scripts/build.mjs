// `npm run build`: the service as users run it, and the modules the tests import.
//  1. tsc -p tsconfig.build.json → dist/src/**.js (type-checked; what tests and library users import)
//  2. the sandbox's seed YAML → dist/src/sandbox/seed/ (tsc copies no YAML)
//  2b. the status page's assets (status.js, status.css, uPlot's build) → dist/assets/ (beside the
//     bundle, what the Docker image carries) and dist/src/http/status/assets/ (beside tsc's output)
//  3. esbuild → dist/autoremediator.mjs: the CLI and everything it imports in one ES module, which
//     is what `autoremediator`, `npm start` and the Docker image run. One module instead of ~1,400
//     (client-node alone is ~1,000 files) halves the start time and saves ~45 MiB of RSS (see
//     bench/results). better-sqlite3 stays external (a native addon), and pg-native (pg's optional
//     native binding, not installed) too. Names are kept and a source map is written, so stack
//     traces stay readable (node --enable-source-maps maps them back to src/).
//     The package version and the git revision are written in (src/platform/build-info.ts):
//     `--version` and autoremediator_build_info tell which build runs. The revision comes from
//     GIT_REVISION when set (the Docker build has no .git), else from `git rev-parse HEAD`.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
cpSync(join(root, 'src/sandbox/seed'), join(root, 'dist/src/sandbox/seed'), { recursive: true });
const uplot = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
for (const dest of ['dist/assets', 'dist/src/http/status/assets']) {
  cpSync(join(root, 'src/http/status/assets'), join(root, dest), { recursive: true });
  for (const f of ['uPlot.iife.min.js', 'uPlot.min.css']) cpSync(join(uplot, f), join(root, dest, f));
  cpSync(join(uplot, '..', 'LICENSE'), join(root, dest, 'uPlot.LICENSE.txt'));
}
function gitRevision() {
  if (process.env.GIT_REVISION) return process.env.GIT_REVISION;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/autoremediator.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['better-sqlite3', 'pg-native'],
  // CommonJS dependencies call require(); an ES module has none, so give it one.
  banner: { js: "import { createRequire as __autoremediatorCreateRequire } from 'node:module'; const require = __autoremediatorCreateRequire(import.meta.url);" },
  define: { AUTOREMEDIATOR_BUILD: JSON.stringify({ version, revision: gitRevision() }) },
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
