import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkRules, formatCheckReport } from '../../../src/rule-table/check.js';
import { editYaml, SHIPPED_RULES_DIR, SHIPPED_RULES_FILE, shippedRulesText, TempDirs } from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

describe('checkRules', () => {
  test('the shipped rules pass, with a summary', async () => {
    const r = await checkRules([SHIPPED_RULES_DIR]);
    expect(r).toEqual({ ok: true, ruleCount: 6, files: [{ file: SHIPPED_RULES_FILE, ruleCount: 6 }], errors: [] });
    expect(formatCheckReport(r)).toBe(`Checking ${SHIPPED_RULES_FILE}\n  SUCCESS: 6 rules found\nSUCCESS: 6 rules in 1 file\n`);
  });

  test('a file named twice (directly and through its directory) is checked once', async () => {
    const r = await checkRules([SHIPPED_RULES_DIR, SHIPPED_RULES_FILE]);
    expect(r).toMatchObject({ ok: true, ruleCount: 6 });
  });

  test('every error of every path is reported, and the report says FAILED', async () => {
    const dir = await temp.make();
    const broken = editYaml(await shippedRulesText(), (d) => {
      d.setIn(['rules', 0, 'action', 'ceiling'], -1);
      d.setIn(['rules', 1, 'matchers', 0], 'alertname=');
    });
    await writeFile(join(dir, 'broken.yaml'), broken);
    const r = await checkRules([dir, join(dir, 'missing.yaml')]);
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([
      `${join(dir, 'missing.yaml')}: no such file or directory`,
      `${join(dir, 'broken.yaml')}: rules[0].action.ceiling: must be > 0 (got -1)`,
      `${join(dir, 'broken.yaml')}: rules[1].matchers[0]: "alertname=": column 11: expected a value after "=" (write alertname="" to match an empty or missing label)`,
    ]);
    expect(formatCheckReport(r).split('\n').slice(-2)).toEqual(['FAILED: 3 errors', '']);
  });

  test('rules in different paths must have different names', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'copy.yaml'), await shippedRulesText());
    const r = await checkRules([SHIPPED_RULES_FILE, join(dir, 'copy.yaml')]);
    expect(r.errors).toHaveLength(6);
    expect(r.errors[0]).toBe(
      `${join(dir, 'copy.yaml')}: rules[0].name: duplicate rule name "cpu-raise-hpa-floor" (first defined in ${SHIPPED_RULES_FILE}: rules[0])`,
    );
  });

  test('no paths at all is an error', async () => {
    expect(await checkRules([])).toEqual({ ok: false, ruleCount: 0, files: [], errors: ['no rule files or directories given'] });
  });
});
