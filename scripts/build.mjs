// `npm run build`: the service as users run it, and the modules the tests import.
//  1. tsc -p tsconfig.build.json → dist/src/**.js (type-checked; what tests and library users import)
//  2. the sandbox's seed YAML → dist/src/sandbox/seed/ (tsc copies no YAML)
//  3. esbuild → dist/autoremediator.mjs: the CLI and everything it imports in one ES module, which
//     is what `autoremediator`, `npm start` and the Docker image run. One module instead of ~1,400
//     (client-node alone is ~1,000 files) halves the start time and saves ~45 MiB of RSS (see
//     bench/results). better-sqlite3 stays external (a native addon), and pg-native (pg's optional
//     native binding, not installed) too. Names are kept and a source map is written, so stack
//     traces stay readable (node --enable-source-maps maps them back to src/).
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
cpSync(join(root, 'src/sandbox/seed'), join(root, 'dist/src/sandbox/seed'), { recursive: true });
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
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
