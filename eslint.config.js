// Type-checked rules on: a service that awaits Kubernetes and database calls
// wants no-floating-promises and no-misused-promises.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * One-way dependencies (DESIGN.md "Direction for the second round"): each folder of src/
 * may import only the folders listed for it. Lower layers first:
 *
 *   platform ← domain ← {rule-table ← planner} ← {kube ← actions, validation, store, notify ← config}
 *            ← remediation ← {http, scheduler} ← app ← {main, cli, commands}
 *
 * sandbox depends on platform only, and only commands use it. An upward import, or one
 * that skips into a folder not listed, is a lint error naming the rule it breaks.
 *
 * An action kind's folder holds both its halves: the pure one (actions/<kind>/plan.ts, with the
 * interface actions/plan-kind.ts) sits beside the planner, the I/O one (index.ts) above kube.
 * PURE_ACTIONS keeps the pure files pure; planner and validation reach into actions/ only there.
 */
const LAYERS = {
  platform: [],
  domain: [],
  control: ['platform', 'domain'],
  'rule-table': ['platform', 'domain', 'control'],
  planner: ['platform', 'domain', 'rule-table', 'control'],
  kube: ['platform', 'domain'],
  actions: ['platform', 'domain', 'rule-table', 'planner', 'kube'],
  targets: ['platform', 'domain', 'rule-table', 'planner', 'kube', 'actions'],
  validation: ['platform', 'domain', 'rule-table', 'planner'],
  store: ['platform', 'domain', 'control'],
  notify: ['platform', 'domain', 'rule-table', 'planner'],
  silence: ['platform', 'domain', 'rule-table', 'planner', 'validation', 'store', 'notify'],
  config: ['platform', 'domain', 'notify', 'control', 'validation'],
  remediation: ['platform', 'domain', 'control', 'rule-table', 'planner', 'kube', 'actions', 'targets', 'validation', 'store', 'notify'],
  http: ['platform', 'domain', 'control', 'rule-table', 'planner', 'kube', 'actions', 'validation', 'store', 'notify', 'config', 'remediation'],
  scheduler: ['platform', 'domain', 'control', 'rule-table', 'planner', 'kube', 'actions', 'validation', 'store', 'notify', 'remediation'],
  sandbox: ['platform'],
};
const ALL = [...Object.keys(LAYERS), 'commands'];
/** The files of actions/ a folder below it may import: the pure half's interface (kinds are handed in, never imported). */
const PURE_ACTIONS_ENTRY = { planner: 'actions/plan-kind.js', validation: 'actions/plan-kind.js' };
/** What the pure half of a kind may import: as the planner, plus the planner's pure helpers and other kinds' pure halves. */
const PURE_ACTIONS_ALLOWED = ['platform', 'domain', 'rule-table', 'planner'];
/** Packages that do I/O: never in a pure file. */
const IO_PACKAGES = '^(@kubernetes/|ioredis$|pg$|better-sqlite3$|axios$|express$|node:(fs|net|http|https|child_process|dgram|dns)(/|$))';
const TOP = ['app', 'main', 'cli']; // files src/app.ts, src/main.ts, src/cli.ts

/**
 * no-restricted-imports for the files of one folder: every src/ folder (and top file) not allowed
 * is forbidden. One block per depth, so that `../x` is matched only where it reaches src/x.
 */
function layerRules(folder, allowed) {
  const forbidden = [...ALL, ...TOP].filter((f) => f !== folder && !allowed.includes(f));
  const entry = PURE_ACTIONS_ENTRY[folder];
  const except = entry ? `(?!${entry.replace(/[./]/g, (c) => `\\${c}`)}$)` : '';
  const message = `src/${folder} may import only ${allowed.length ? allowed.join(', ') : 'nothing of ours'}${entry ? ` (and src/${entry.replace(/\.js$/, '.ts')})` : ''} (one-way dependencies: see eslint.config.js LAYERS).`;
  return [1, 2, 3].map((depth) => ({
    files: [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: `^(\\.\\./){${depth}}${except}(${forbidden.join('|')})(/|\\.js$)`, message }] }] },
  }));
}

/**
 * The pure half of the action kinds (actions/plan-kind.ts, actions/<kind>/plan.ts): no I/O, so
 * that the planner, handed the kinds, stays pure. Within actions/ it may import only pure files.
 */
function pureActionRules() {
  const forbidden = [...ALL, ...TOP].filter((f) => f !== 'actions' && !PURE_ACTIONS_ALLOWED.includes(f));
  const message = `the pure half of an action kind (actions/plan-kind.ts, actions/<kind>/plan.ts) may import only ${PURE_ACTIONS_ALLOWED.join(', ')} and other pure halves, no I/O (see eslint.config.js PURE_ACTIONS).`;
  const io = { regex: IO_PACKAGES, message };
  return [
    {
      files: ['src/actions/plan-kind.ts'],
      rules: { 'no-restricted-imports': ['error', { patterns: [io, { regex: `^\\./`, message }, { regex: `^\\.\\./(${forbidden.join('|')})(/|\\.js$)`, message }] }] },
    },
    {
      files: ['src/actions/*/plan.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              io,
              { regex: `^\\./(?![\\w-]*plan\\.js$)`, message },
              { regex: `^\\.\\./(?!\\.\\./)(?!plan-kind\\.js$)(?![\\w-]+/plan\\.js$)`, message },
              { regex: `^\\.\\./\\.\\./(${forbidden.join('|')})(/|\\.js$)`, message },
            ],
          },
        ],
      },
    },
  ];
}

/** The dependency rules alone (no type information needed), for test/unit/lint/layers.test.ts. */
export const layerConfigs = [
  // No import cycles in src/ (a cycle is an upward import the layer rules cannot see, inside a folder or across).
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  ...Object.entries(LAYERS).flatMap(([folder, allowed]) => layerRules(folder, allowed)),
  ...pureActionRules(),
  {
    files: ['src/app.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\./(sandbox|commands|main|cli)(/|\\.js$)', message: 'app.ts composes the service; it does not know the sandbox or the CLI (one-way dependencies).' }] }],
    },
  },
  {
    files: ['src/main.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\./sandbox(/|\\.js$)', message: 'only src/commands may use the sandbox (one-way dependencies).' }] }],
    },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'bench/results/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerConfigs,
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The status page's script runs in the browser (with uPlot loaded before it).
    files: ['src/http/status/assets/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'fetch', 'setTimeout', 'clearTimeout', 'setInterval', 'confirm', 'CSS', 'uPlot'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
