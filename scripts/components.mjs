#!/usr/bin/env node
/**
 * Builds the real components the tests run (kube-apiserver, etcd, kwok, a current
 * Prometheus and Alertmanager, Helm) from their published Go modules, pinned by the
 * go.mod files under test/cluster/. Binaries are cached in .cache/components/<dir>@<version>/
 * (ignored by git, never committed): a second build of the same versions is a no-op.
 *
 *   node scripts/components.mjs build [name…]   build what is missing (default: all)
 *   node scripts/components.mjs path name       print the binary's path (exit 1 when not built)
 *   node scripts/components.mjs list            name, version, built or not
 *
 * The locating half is shared with the tests (test/helpers/components.ts reads the same
 * manifest and go.mod files), so a test and this script always agree on where a binary is.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const clusterDir = join(root, 'test', 'cluster');
const manifest = JSON.parse(readFileSync(join(clusterDir, 'components.json'), 'utf8'));
const names = Object.keys(manifest).filter((n) => !n.startsWith('$'));

/** The version go.mod pins for a module ("require M vX" in a block or on its own line). */
function pinnedVersion(dir, module) {
  const text = readFileSync(join(clusterDir, dir, 'go.mod'), 'utf8');
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(text);
  if (!m) throw new Error(`test/cluster/${dir}/go.mod: no version pinned for ${module}`);
  return m[1];
}

function location(name) {
  const c = manifest[name];
  if (!c) throw new Error(`unknown component ${name}; known: ${names.join(', ')}`);
  const version = pinnedVersion(c.dir, c.module);
  const out = join(root, '.cache', 'components', c.files ? `${name}@${version}` : `${c.dir}@${version}`);
  // A binary is `<out>/<name>`; a set of files (CRDs) is the folder itself, complete once `.done` exists.
  return { ...c, name, version, out, bin: c.files ? join(out, '.done') : join(out, name) };
}

/** Copies a component's files (CRDs) out of its module, as the module proxy serves it. */
function copyFiles(l) {
  const out = execFileSync('go', ['mod', 'download', '-json', `${l.module}@${l.version}`], { cwd: join(clusterDir, l.dir), encoding: 'utf8' });
  const moduleDir = JSON.parse(out).Dir;
  mkdirSync(l.out, { recursive: true });
  for (const f of l.files) copyFileSync(join(moduleDir, f), join(l.out, basename(f)));
  writeFileSync(l.bin, `${l.module}@${l.version}\n`);
  console.log(`components: ${l.name}: ${l.files.length} file(s) from ${l.module}@${l.version}`);
}

function build(wanted) {
  const missing = wanted.map(location).filter((l) => !existsSync(l.bin));
  if (missing.length === 0) {
    console.log(`components: all built (${wanted.join(', ')})`);
    return;
  }
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    // (checked before anything: both halves below need Go)
  } catch {
    console.error('components: Go is not installed (needs Go ≥ 1.26 and the Go module proxy)');
    process.exit(2);
  }
  for (const l of missing.filter((m) => m.files)) copyFiles(l);
  // One `go build` per module of ours: binaries of one module share their compiled packages.
  const byDir = new Map();
  for (const l of missing.filter((m) => !m.files)) byDir.set(l.out, [...(byDir.get(l.out) ?? []), l]);
  for (const [outDir, list] of byDir) {
    const started = Date.now();
    const tmp = `${outDir}.partial`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    console.log(`components: building ${list.map((l) => `${l.name}`).join(', ')} (${list[0].module} ${list[0].version}) …`);
    const [major, minor] = list[0].version.replace(/^v/, '').split('.');
    const extra = (list[0].ldflags ?? '').replaceAll('{version}', list[0].version).replaceAll('{major}', major).replaceAll('{minor}', minor);
    execFileSync('go', ['build', '-trimpath', `-ldflags=-s -w ${extra}`.trim(), '-o', tmp + '/', ...list.map((l) => l.package)], {
      cwd: join(clusterDir, list[0].dir),
      stdio: 'inherit',
    });
    mkdirSync(outDir, { recursive: true });
    // Go names a binary after the last path element of its package; ours after the component.
    for (const l of list) {
      const parts = l.package.split('/');
      // (a major-version suffix is skipped: go.etcd.io/etcd/server/v3 builds `server`)
      const goName = /^v\d+$/.test(parts.at(-1)) && parts.length > 1 ? parts.at(-2) : parts.at(-1);
      const built = join(tmp, goName);
      renameSync(existsSync(join(tmp, l.name)) ? join(tmp, l.name) : built, l.bin);
    }
    rmSync(tmp, { recursive: true, force: true });
    console.log(`components: built ${list.map((l) => l.name).join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'build') build(args.length ? args : names);
else if (cmd === 'path') {
  const l = location(args[0]);
  if (!existsSync(l.bin)) {
    console.error(`${l.name} ${l.version} is not built: run npm run components -- ${l.name}`);
    process.exit(1);
  }
  console.log(l.bin);
} else if (cmd === 'list') {
  for (const n of names) {
    const l = location(n);
    console.log(`${n.padEnd(24)} ${l.module}@${l.version}  ${existsSync(l.bin) ? l.bin : '(not built)'}`);
  }
} else {
  console.error('usage: node scripts/components.mjs build [name…] | path NAME | list');
  process.exit(2);
}
