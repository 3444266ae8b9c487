/**
 * The Dockerfile, linted structurally (Docker cannot run here): stages, the non-root user the
 * Deployment expects, no npm lifecycle scripts in the wrong place, no secrets, and a
 * .dockerignore that lets in only what the Dockerfile copies.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, readObjects } from './manifests.js';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name: string | null;
  body: Instruction[];
}

/** Instructions of a Dockerfile, with `\` continuations joined and comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // a comment inside a continued instruction
    if (line.endsWith('\\')) pending += `${line.slice(0, -1).trim()} `;
    else {
      logical.push(`${pending}${line}`.trim());
      pending = '';
    }
  }
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^(\w+)\s+(.*)$/s.exec(l);
    if (!m) throw new Error(`not an instruction: ${l}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!;
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ image: f![1]!, name: f![2] ?? null, body: [] });
    } else if (stages.length === 0) {
      if (op !== 'ARG') throw new Error(`${op} before the first FROM`);
    } else stages.at(-1)!.body.push({ op, args });
  }
  return stages;
}

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const build = stages.find((s) => s.name === 'build')!;
const all = stages.flatMap((s) => s.body);
// The Deployment as installed (the kustomize rendering of the Helm chart; the chart's defaults).
const deployment = readObjects(join(REPO_ROOT, 'deploy', 'overlays', 'single', 'autoremediator.yaml')).find((o) => o.kind === 'Deployment')!;

describe('Dockerfile', () => {
  test('multi-stage on a supported Node.js LTS (22 or 24, within package.json engines): a builder stage and a separate runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const names = new Set(stages.map((s) => s.name));
    const base = /^node:(\d+)-bookworm-slim$/.exec(runtime.image);
    expect(base).not.toBeNull();
    const major = Number(base![1]);
    expect([22, 24]).toContain(major);
    for (const s of stages) expect(s.image === runtime.image || names.has(s.image)).toBe(true);
    const engines = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    // engines says what the code runs on (the tests run on 20 here); the image runs a current LTS within it.
    const min = /^>=(\d+)$/.exec(engines);
    expect(min).not.toBeNull();
    expect(major).toBeGreaterThanOrEqual(Number(min![1]));
    // Every COPY --from names an earlier stage.
    for (const i of all.filter((x) => x.op === 'COPY' && x.args.includes('--from='))) expect(names.has(/--from=(\S+)/.exec(i.args)![1]!)).toBe(true);
  });

  test('OCI labels: title, description, version, revision, created, licence (package.json\'s), base image', () => {
    const labels = Object.fromEntries(
      runtime.body.filter((i) => i.op === 'LABEL').flatMap((i) => [...i.args.matchAll(/(org\.opencontainers\.image\.[a-z.]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!])),
    );
    expect(Object.keys(labels).sort()).toEqual(
      ['base.name', 'created', 'description', 'licenses', 'revision', 'title', 'version'].map((k) => `org.opencontainers.image.${k}`),
    );
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { license: string; version: string };
    expect(labels['org.opencontainers.image.licenses']).toBe(pkg.license);
    expect(labels['org.opencontainers.image.base.name']).toBe(`docker.io/library/${runtime.image}`);
    // Version, revision and date come from build arguments, and the revision also reaches the bundle.
    expect(labels['org.opencontainers.image.revision']).toBe('$REVISION');
    expect(build.body.some((i) => i.op === 'RUN' && /GIT_REVISION="\$REVISION" npm run build/.test(i.args))).toBe(true);
    expect(runtime.body.find((i) => i.op === 'ARG' && i.args.startsWith('VERSION='))?.args).toBe(`VERSION=${pkg.version}`);
  });

  test('the build compiles TypeScript; npm lifecycle scripts never run where they must not', () => {
    expect(all.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args))).toBe(true);
    // `npm ci` would run our `prepare` (tsc): only with --ignore-scripts, and better-sqlite3 rebuilt explicitly.
    const installs = all.filter((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(installs.length).toBeGreaterThanOrEqual(1);
    for (const i of installs) expect(i.args).toMatch(/npm ci [^&]*--ignore-scripts/);
    expect(all.some((i) => i.op === 'RUN' && /npm ci [^&]*--omit=dev[^&]*&& npm rebuild better-sqlite3/.test(i.args))).toBe(true);
    expect(runtime.body.filter((i) => i.op === 'RUN' && /\bnpm\b/.test(i.args))).toEqual([]);
  });

  test('the runtime image holds the bundle, better-sqlite3, rules/ and package.json (not the whole node_modules or dist/), and starts `serve`', () => {
    const copies = runtime.body.filter((i) => i.op === 'COPY').map((i) => i.args);
    const copied = (what: string) => copies.some((c) => c.split(/\s+/).some((p) => p.replace(/^\/app\//, '').replace(/^\.\//, '') === what));
    for (const what of ['dist/autoremediator.mjs', 'node_modules/better-sqlite3/lib', 'node_modules/bindings', 'rules', 'package.json']) expect({ what, copied: copied(what) }).toEqual({ what, copied: true });
    for (const what of ['node_modules', 'dist']) expect({ what, copied: copied(what) }).toEqual({ what, copied: false });
    const cmd = runtime.body.filter((i) => i.op === 'CMD').at(-1);
    expect(JSON.parse(cmd!.args)).toEqual(['node', 'dist/autoremediator.mjs', 'serve']);
    // The build (scripts/build.mjs, which the build stage copies) bundles src/cli.ts into that file, and npm start runs the same.
    expect(build.body.some((i) => i.op === 'COPY' && /^scripts\s/.test(i.args))).toBe(true);
    expect(readFileSync(join(REPO_ROOT, 'scripts', 'build.mjs'), 'utf8')).toMatch(/entryPoints: \['src\/cli\.ts'\],\s+outfile: 'dist\/autoremediator\.mjs'/);
    expect(existsSync(join(REPO_ROOT, 'src', 'cli.ts'))).toBe(true);
    expect((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start).toBe('node dist/autoremediator.mjs serve');
    expect(runtime.body.some((i) => i.op === 'ENTRYPOINT')).toBe(false);
  });

  test('runs as the non-root uid the Deployment sets, and exposes the port it probes', () => {
    const user = runtime.body.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    const [uid] = user!.split(':');
    expect(['root', '0']).not.toContain(uid);
    expect(Number(uid)).toBe(deployment.spec.template.spec.securityContext.runAsUser);
    expect(runtime.body.filter((i) => i.op === 'EXPOSE').map((i) => i.args)).toEqual([String(deployment.spec.template.spec.containers[0].ports[0].containerPort)]);
  });

  test('no secrets: no credential-like ENV/ARG, no credentials in URLs, no key or .env files copied', () => {
    const assignments = all.filter((i) => i.op === 'ENV' || i.op === 'ARG').flatMap((i) => [...i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g)].map((m) => ({ name: m[1]!, value: m[2]! })));
    expect(assignments.filter((a) => /TOKEN|SECRET|PASSW|API_?KEY|CREDENTIAL|PRIVATE/i.test(a.name))).toEqual([]);
    expect(assignments.filter((a) => /:\/\/[^/\s]*@/.test(a.value))).toEqual([]);
    expect(all.filter((i) => (i.op === 'COPY' || i.op === 'ADD') && /\.env\b|\.pem\b|\.key\b|id_rsa|\.npmrc/.test(i.args))).toEqual([]);
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  test('is an allow-list: everything is excluded, then exactly what the Dockerfile copies from the context', () => {
    expect(lines[0]).toBe('*');
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    // Sources of COPY instructions that read the build context (not another stage).
    const sources = all
      .filter((i) => i.op === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1))
      .map((s) => s.replace(/^\.\//, '').split('/')[0]!);
    expect([...new Set(sources)].sort()).toEqual([...allowed].sort());
    expect(allowed.filter((a) => /node_modules|dist|data|\.env|\.git/.test(a))).toEqual([]);
  });
});
