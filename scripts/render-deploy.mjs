#!/usr/bin/env node
/**
 * The kustomize install is rendered from the Helm chart, so that the two cannot drift: each file
 * below is `helm template` of deploy/helm/autoremediator with the values file named, in release
 * `autoremediator` and namespace `autoremediator` (kustomize's `namespace:` moves it), minus the
 * two labels that say Helm manages the objects. The rule table and the dashboard stay kustomize
 * generators (deploy/base, deploy/observability) so that changing rules needs no Helm; this
 * script also copies the dashboard into the chart.
 *
 *   node scripts/render-deploy.mjs            write the renderings
 *   node scripts/render-deploy.mjs --check    exit 1, naming each file, when a rendering differs
 *
 * Helm: $HELM, else the one `npm run components -- helm` built. test/integration/deploy runs
 * --check, so a chart change without a re-rendering fails the tests.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const chart = 'deploy/helm/autoremediator';

/** Output file → the values file and, for a part of the chart, the templates shown. */
const RENDERINGS = [
  { file: 'deploy/overlays/single/autoremediator.yaml', values: 'deploy/helm/kustomize/single.yaml' },
  { file: 'deploy/overlays/ha/autoremediator.yaml', values: 'deploy/helm/kustomize/ha.yaml' },
  { file: 'deploy/observability/servicemonitor.yaml', values: 'deploy/helm/kustomize/observability.yaml', only: ['templates/servicemonitor.yaml'] },
  { file: 'deploy/observability/prometheusrule.yaml', values: 'deploy/helm/kustomize/observability.yaml', only: ['templates/prometheusrule.yaml'] },
];
/** Copied into the chart verbatim (Helm, like kustomize, reads no file outside its directory). */
const COPIES = [{ from: 'deploy/observability/grafana-dashboard.json', to: `${chart}/files/grafana-dashboard.json` }];

function helmPath() {
  if (process.env.HELM) return process.env.HELM;
  try {
    return execFileSync(process.execPath, [join(root, 'scripts', 'components.mjs'), 'path', 'helm'], { encoding: 'utf8' }).trim();
  } catch {
    console.error('render-deploy: no Helm: set HELM, or build it with npm run components -- helm');
    process.exit(2);
  }
}

/** Lines naming Helm as the manager: true of the chart's objects, not of kustomize's. */
const HELM_ONLY = /^\s*(helm\.sh\/chart|app\.kubernetes\.io\/managed-by): .*\n/gm;

function render(helm, r) {
  const args = ['template', 'autoremediator', chart, '--namespace', 'autoremediator', '--values', r.values, ...(r.only ?? []).flatMap((t) => ['--show-only', t])];
  const out = execFileSync(helm, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const header =
    `# Rendered from ${chart} with ${r.values} by scripts/render-deploy.mjs. Do not edit:\n` +
    '# change the chart or the values file, then re-render (a test compares).\n';
  return header + out.replace(HELM_ONLY, '');
}

const check = process.argv.includes('--check');
const helm = helmPath();
const stale = [];
for (const c of COPIES) {
  if (check) {
    if (readFileSync(join(root, c.from), 'utf8') !== readFileSync(join(root, c.to), 'utf8')) stale.push(`${c.to} (a copy of ${c.from})`);
  } else copyFileSync(join(root, c.from), join(root, c.to));
}
for (const r of RENDERINGS) {
  const text = render(helm, r);
  if (!check) writeFileSync(join(root, r.file), text);
  else if (readFileSync(join(root, r.file), 'utf8') !== text) stale.push(r.file);
}
if (stale.length) {
  console.error(`render-deploy: out of date with the chart (run node scripts/render-deploy.mjs):\n  ${stale.join('\n  ')}`);
  process.exit(1);
}
console.log(check ? 'render-deploy: every rendering matches the chart' : `render-deploy: wrote ${RENDERINGS.map((r) => r.file).join(', ')}`);
