import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Document } from 'yaml';
import { formatRuleError } from '../../../src/rule-table/errors.js';
import { buildRuleTable, loadRuleTable } from '../../../src/rule-table/loader.js';
import { editYaml, SHIPPED_RULES_DIR, shippedRulesText, TempDirs } from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

/** Write files into a fresh temp dir and load it; returns the formatted errors (or throws if it loaded). */
async function loadErrors(files: Record<string, string>): Promise<{ dir: string; errors: string[] }> {
  const dir = await temp.make();
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const r = await loadRuleTable(dir);
  if (r.ok) throw new Error('expected the table to be invalid');
  return { dir, errors: r.errors.map(formatRuleError) };
}

describe('the shipped rules/ folder', () => {
  test('loads with no error, in file order, each rule with its source and compiled matchers', async () => {
    const r = await loadRuleTable(SHIPPED_RULES_DIR);
    if (!r.ok) throw new Error(r.errors.map(formatRuleError).join('\n'));
    const { table } = r;
    expect(table.rules.map((x) => x.name)).toEqual([
      'cpu-raise-hpa-floor',
      'latency-raise-hpa-floor',
      'memory-raise-limits',
      'db-add-read-replicas',
      'queue-add-consumers',
      'cache-raise-maxmemory',
    ]);
    expect(table.files).toEqual([join(SHIPPED_RULES_DIR, 'ci-failure-agent.yaml')]);
    table.rules.forEach((rule, index) => {
      expect(rule.source).toEqual({ file: join(SHIPPED_RULES_DIR, 'ci-failure-agent.yaml'), index });
      expect(rule.compiled.map((m) => m.text)).toEqual(rule.matchers);
    });
    expect(table.version).toMatch(/^[0-9a-f]{64}$/);
  });

  test('defaults and durations are applied by the schema', async () => {
    const r = await loadRuleTable(SHIPPED_RULES_DIR);
    if (!r.ok) throw new Error('invalid');
    const cpu = r.table.rules[0]!;
    expect(cpu.cooldown).toBe(300_000);
    expect(cpu.restore?.after).toBe(900_000);
    expect(cpu.enabled).toBe(true);
    expect(cpu.continue).toBe(false);
    expect(cpu.action).toMatchObject({ type: 'hpa', bound: 'min', ceiling: 12, selectPolicy: 'Max' });
  });

  test('the table is frozen: a reload builds a new one instead', async () => {
    const r = await loadRuleTable(SHIPPED_RULES_DIR);
    if (!r.ok) throw new Error('invalid');
    expect(Object.isFrozen(r.table)).toBe(true);
    expect(Object.isFrozen(r.table.rules)).toBe(true);
    expect(Object.isFrozen(r.table.rules[0]!.action)).toBe(true);
  });
});

/** Apply an edit to the shipped file and expect exactly these formatted errors. */
const BROKEN: [string, (doc: Document) => void, string[]][] = [
  [
    // a wrong type names the key and shows the value
    'ceiling as a string',
    (d) => d.setIn(['rules', 0, 'action', 'ceiling'], 'twelve'),
    ['rules.yaml: rules[0].action.ceiling: must be a number (got "twelve")'],
  ],
  [
    // an unknown key is named
    'a misspelt key',
    (d) => {
      d.deleteIn(['rules', 1, 'action', 'ceiling']);
      d.setIn(['rules', 1, 'action', 'ceilin'], 12);
    },
    ['rules.yaml: rules[1].action.ceiling: is required', 'rules.yaml: rules[1].action: unknown key "ceilin"'],
  ],
  [
    // a cross-field rule of the schema
    'maxReplicas below minReplicas',
    (d) => d.setIn(['rules', 3, 'action', 'maxReplicas'], 1),
    ['rules.yaml: rules[3].action.maxReplicas: must be ≥ minReplicas'],
  ],
  [
    // an unknown action type lists the known ones
    'unknown action type',
    (d) => d.setIn(['rules', 4, 'action', 'type'], 'scael'),
    ['rules.yaml: rules[4].action.type: must be one of scale, hpa, resources, restart, undo, redis (got "scael")'],
  ],
  [
    // a bad enum value lists the allowed ones
    'bad selectPolicy',
    (d) => d.setIn(['rules', 4, 'action', 'selectPolicy'], 'max'),
    ['rules.yaml: rules[4].action.selectPolicy: must be one of "Max", "Min", "Disabled" (got "max")'],
  ],
  [
    // a duration that does not parse
    'bad cooldown',
    (d) => d.setIn(['rules', 2, 'cooldown'], '5 minutes'),
    ['rules.yaml: rules[2].cooldown: "5 minutes" is not a duration (use e.g. 30s, 5m, 1h)'],
  ],
  [
    // a missing required section
    'no target',
    (d) => d.deleteIn(['rules', 5, 'target']),
    ['rules.yaml: rules[5].target: is required'],
  ],
  [
    // a matcher error names the matcher's index and the column
    'bad matcher regex',
    (d) => d.setIn(['rules', 0, 'matchers', 1], 'service=~"ci-("'),
    ['rules.yaml: rules[0].matchers[1]: "service=~\\"ci-(\\"": column 10: invalid regular expression: missing closing ): `ci-(`'],
  ],
  [
    // two matchers in one string
    'matchers joined by a comma',
    (d) => d.setIn(['rules', 0, 'matchers', 0], 'alertname="HighPodCPU",service="ci-failure-agent"'),
    ['rules.yaml: rules[0].matchers[0]: "alertname=\\"HighPodCPU\\",service=\\"ci-failure-agent\\"": column 23: one matcher per list item: split the matchers at the comma into separate items'],
  ],
  [
    // a template with Go template syntax
    'forbidden template syntax',
    (d) => d.setIn(['rules', 0, 'target', 'name'], '{{ .Labels.service }}'),
    [
      'rules.yaml: rules[0].target.name: column 1: "{{ .Labels.service }}" is not allowed: only {{ $labels.<name> }}, {{ $annotations.<name> }} and, for names such as service.name, {{ index $labels "<name>" }} are allowed (value substitution: no pipes, functions or conditionals)',
    ],
  ],
  [
    // a literal namespace that is not a Kubernetes name
    'upper-case literal namespace',
    (d) => d.setIn(['rules', 0, 'target', 'namespace'], 'CI'),
    ['rules.yaml: rules[0].target.namespace: "CI" is not a Kubernetes namespace name (DNS-1123 label: lower-case letters, digits and "-", at most 63)'],
  ],
  [
    // a templated container that can never be a container name
    'impossible container template',
    (d) => d.setIn(['rules', 2, 'action', 'container'], '{{ $labels.container_name }}/x'),
    [
      'rules.yaml: rules[2].action.container: "{{ $labels.container_name }}/x" can never render a valid value: with a sample label value it renders "1/x" is not a container name (DNS-1123 label: lower-case letters, digits and "-", at most 63)',
    ],
  ],
  [
    // a query template outside a quoted string
    'unquoted template in a validation query',
    (d) =>
      d.setIn(['rules', 4, 'validate'], d.createNode({ checks: [{ name: 'depth', query: 'queue_depth > {{ $labels.threshold }}', below: 1000 }] })),
    [
      'rules.yaml: rules[4].validate.checks[0].query: column 15: in a query, put the template inside a quoted string (e.g. namespace="{{ $labels.namespace }}") so that a label value cannot change the query',
    ],
  ],
  [
    // a rule name that is not lower-case-and-dashes
    'bad rule name',
    (d) => d.setIn(['rules', 0, 'name'], 'CPU_rule'),
    ['rules.yaml: rules[0].name: rule names are lower-case letters, digits and dashes (got "CPU_rule")'],
  ],
  [
    // a duplicate within one file names both places
    'duplicate name in one file',
    (d) => d.setIn(['rules', 1, 'name'], 'cpu-raise-hpa-floor'),
    ['rules.yaml: rules[1].name: duplicate rule name "cpu-raise-hpa-floor" (first defined in {dir}/rules.yaml: rules[0])'],
  ],
  [
    // an unknown top-level key
    'unknown top-level key',
    (d) => d.set('groups', []),
    ['rules.yaml: unknown key "groups" (a rule file has only "rules:")'],
  ],
  [
    // rules that are not a list
    'rules as a mapping',
    (d) => d.set('rules', d.createNode({ a: 1 })),
    ['rules.yaml: rules: must be a list of rules'],
  ],
  [
    // an empty matcher list
    'no matchers',
    (d) => d.setIn(['rules', 0, 'matchers'], d.createNode([])),
    ['rules.yaml: rules[0].matchers: needs at least 1 item'],
  ],
];

describe('broken copies of the shipped rules: each error names the file and the key', () => {
  test.each(BROKEN)('%s', async (_name, edit, expected) => {
    const text = editYaml(await shippedRulesText(), edit);
    const { dir, errors } = await loadErrors({ 'rules.yaml': text });
    expect(errors).toEqual(expected.map((e) => `${dir}/${e.replaceAll('{dir}', dir)}`));
  });

  test('every error of a file is reported at once, not just the first', async () => {
    const text = editYaml(await shippedRulesText(), (d) => {
      d.setIn(['rules', 0, 'action', 'ceiling'], 'twelve');
      d.setIn(['rules', 0, 'matchers', 1], 'service=~"ci-("');
      d.setIn(['rules', 2, 'target', 'name'], '{{ .Labels.service }}');
      d.setIn(['rules', 3, 'action', 'maxReplicas'], 1);
      d.setIn(['rules', 5, 'cooldown'], 'soon');
    });
    const { errors } = await loadErrors({ 'rules.yaml': text });
    expect(errors.map((e) => e.split(': ').slice(1, 2)[0])).toEqual([
      'rules[0].action.ceiling',
      'rules[0].matchers[1]',
      'rules[2].target.name',
      'rules[3].action.maxReplicas',
      'rules[5].cooldown',
    ]);
  });

  test('errors in several files are all reported, each with its file', async () => {
    const shipped = await shippedRulesText();
    const { dir, errors } = await loadErrors({
      'a.yaml': editYaml(shipped, (d) => d.setIn(['rules', 0, 'action', 'ceiling'], 0)),
      'b.yaml': 'rules:\n  - name: x\n    name: y\n',
      'c.yaml': editYaml(shipped, (d) => d.setIn(['rules', 0, 'name'], 'other-name')),
    });
    expect(errors).toEqual([
      `${join(dir, 'a.yaml')}: rules[0].action.ceiling: must be > 0 (got 0)`,
      `${join(dir, 'b.yaml')}: line 3, column 5: Map keys must be unique`,
      `${join(dir, 'c.yaml')}: rules[1].name: duplicate rule name "latency-raise-hpa-floor" (first defined in ${join(dir, 'a.yaml')}: rules[1])`,
      `${join(dir, 'c.yaml')}: rules[2].name: duplicate rule name "memory-raise-limits" (first defined in ${join(dir, 'a.yaml')}: rules[2])`,
      `${join(dir, 'c.yaml')}: rules[3].name: duplicate rule name "db-add-read-replicas" (first defined in ${join(dir, 'a.yaml')}: rules[3])`,
      `${join(dir, 'c.yaml')}: rules[4].name: duplicate rule name "queue-add-consumers" (first defined in ${join(dir, 'a.yaml')}: rules[4])`,
      `${join(dir, 'c.yaml')}: rules[5].name: duplicate rule name "cache-raise-maxmemory" (first defined in ${join(dir, 'a.yaml')}: rules[5])`,
    ]);
  });
});

describe('file-level problems', () => {
  test.each([
    // YAML syntax error with line and column
    ['rules:\n  - name: "unterminated\n', 'rules.yaml: line 3, column 1: Missing closing "quote'],
    // tabs as indentation
    ['rules:\n\t- name: x\n', 'rules.yaml: line 2, column 1: Tabs are not allowed as indentation'],
    // two YAML documents
    ['rules: []\n---\nrules: []\n', 'rules.yaml: line 2, column 1: a rule file holds one YAML document (found a second "---")'],
    // an empty file
    ['', 'rules.yaml: the file is empty: a rule file needs a top-level "rules:" list'],
    // a comment-only file
    ['# nothing yet\n', 'rules.yaml: the file is empty: a rule file needs a top-level "rules:" list'],
    // a list at the top
    ['- name: x\n', 'rules.yaml: a rule file must be a mapping with a top-level "rules:" list'],
    // a mapping without rules
    ['version: 1\n', 'rules.yaml: unknown key "version" (a rule file has only "rules:")|rules.yaml: no "rules:" list in this file'],
    // `rules:` with nothing under it
    ['rules:\n', 'rules.yaml: rules: must be a list of rules'],
  ])('%j', async (text, expected) => {
    const { dir, errors } = await loadErrors({ 'rules.yaml': text });
    expect(errors).toEqual(expected.split('|').map((e) => join(dir, e)));
  });

  test('a directory with no rule files is an error', async () => {
    const { dir, errors } = await loadErrors({ 'README.md': '# rules', 'notes.txt': 'x' });
    expect(errors).toEqual([`${dir}: no rule files (*.yaml, *.yml) in this directory`]);
  });

  test('a path that does not exist is an error', async () => {
    const dir = await temp.make();
    const r = await loadRuleTable(join(dir, 'nope'));
    expect(r.ok ? [] : r.errors.map(formatRuleError)).toEqual([`${join(dir, 'nope')}: no such file or directory`]);
  });
});

describe('directory layout', () => {
  const rule = (name: string, alertname: string): string =>
    `  - name: ${name}\n    matchers: ['alertname="${alertname}"']\n    target: { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: x }\n    action: { type: restart }\n`;

  test('files load sorted by name, rules in file order; dot-entries and other files are ignored', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'b.yaml'), `rules:\n${rule('b1', 'A')}${rule('b2', 'A')}`);
    await writeFile(join(dir, 'a.yml'), `rules:\n${rule('a1', 'A')}`);
    await writeFile(join(dir, '.hidden.yaml'), 'not: [valid');
    await writeFile(join(dir, 'README.md'), '# not a rule file');
    await mkdir(join(dir, 'sub.yaml'));
    const r = await loadRuleTable(dir);
    if (!r.ok) throw new Error(r.errors.map(formatRuleError).join('\n'));
    expect(r.table.files).toEqual([join(dir, 'a.yml'), join(dir, 'b.yaml')]);
    expect(r.table.rules.map((x) => [x.name, x.source.index])).toEqual([
      ['a1', 0],
      ['b1', 0],
      ['b2', 1],
    ]);
  });

  test('a ConfigMap mount (..data symlinks) loads through the links', async () => {
    const dir = await temp.make();
    await mkdir(join(dir, '..2026_11_28_10_00_00.000000001'));
    await writeFile(join(dir, '..2026_11_28_10_00_00.000000001', 'ci.yaml'), `rules:\n${rule('cm', 'A')}`);
    await symlink('..2026_11_28_10_00_00.000000001', join(dir, '..data'));
    await symlink(join('..data', 'ci.yaml'), join(dir, 'ci.yaml'));
    const r = await loadRuleTable(dir);
    if (!r.ok) throw new Error(r.errors.map(formatRuleError).join('\n'));
    expect(r.table.files).toEqual([join(dir, 'ci.yaml')]);
    expect(r.table.rules.map((x) => x.name)).toEqual(['cm']);
  });

  test('a single file can be loaded on its own', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'only.yaml'), `rules:\n${rule('one', 'A')}`);
    const r = await loadRuleTable(join(dir, 'only.yaml'));
    expect(r.ok && r.table.rules.map((x) => x.name)).toEqual(['one']);
  });

  test('an empty rules list is a valid (empty) table', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'none.yaml'), 'rules: []\n');
    const r = await loadRuleTable(dir);
    expect(r.ok && r.table.rules).toEqual([]);
  });
});

describe('YAML anchors', () => {
  test('an anchor shared by many rules is fine', () => {
    const target = (i: number): string => (i === 0 ? '&t { apiVersion: apps/v1, kind: Deployment, namespace: ci, name: x }' : '*t');
    const rules = Array.from({ length: 500 }, (_, i) => `  - { name: r${i}, matchers: ['alertname="A${i}"'], target: ${target(i)}, action: { type: restart } }`);
    const r = buildRuleTable([{ file: 'a.yaml', text: `rules:\n${rules.join('\n')}\n` }]);
    expect(r.ok ? r.table.rules.map((x) => x.target.name) : r.errors.map(formatRuleError)).toEqual(Array(500).fill('x'));
  });

  test('exponential alias expansion ("billion laughs") is refused', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) levels.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(10).fill(`*${'abcdefghi'[i - 1]}`).join(',')}]`);
    const r = buildRuleTable([{ file: 'lol.yaml', text: `${levels.join('\n')}\nrules: []\n` }]);
    expect(r.ok ? [] : r.errors.map(formatRuleError)).toEqual(['lol.yaml: Excessive alias count indicates a resource exhaustion attack']);
  });
});

describe('version', () => {
  const text = 'rules: []\n';

  test('same file names and contents give the same version, wherever the directory is', () => {
    const a = buildRuleTable([{ file: '/etc/rules/x.yaml', text }]);
    const b = buildRuleTable([{ file: 'rules/x.yaml', text }]);
    expect(a.ok && b.ok && a.table.version === b.table.version).toBe(true);
  });

  test.each([
    // different content
    [[{ file: 'x.yaml', text: 'rules: [] # changed\n' }]],
    // different file name
    [[{ file: 'y.yaml', text }]],
    // an extra file
    [[{ file: 'x.yaml', text }, { file: 'z.yaml', text }]],
  ])('a change gives another version: %j', (sources) => {
    const base = buildRuleTable([{ file: 'x.yaml', text }]);
    const other = buildRuleTable(sources);
    if (!base.ok || !other.ok) throw new Error('invalid');
    expect(other.table.version).not.toBe(base.table.version);
  });
});
