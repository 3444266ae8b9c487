/**
 * The dependency rules of eslint.config.js fail where they must: an upward import (planner
 * importing remediation, domain importing anything of ours, sandbox importing the store) and an
 * import cycle. Run with only those rules (no type information), so it takes a moment.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { REPO_ROOT } from '../../helpers/fixtures.js';

let layerConfigs: Linter.Config[];
beforeAll(async () => {
  ({ layerConfigs } = (await import(pathToFileURL(join(REPO_ROOT, 'eslint.config.js')).href)) as { layerConfigs: Linter.Config[] });
});

const parser: Linter.Config = { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } };

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO_ROOT, overrideConfigFile: true, overrideConfig: [parser, ...layerConfigs] });
  const [result] = await eslint.lintText(code, { filePath: join(REPO_ROOT, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('one-way dependencies', () => {
  test.each([
    ['src/planner/x.ts', "import { Engine } from '../remediation/engine.js';", /src\/planner may import only platform, domain, rule-table/],
    ['src/domain/x.ts', "import type { Rule } from '../rule-table/rule.js';", /src\/domain may import only nothing of ours/],
    ['src/domain/x.ts', "import { formatDuration } from '../platform/duration.js';", /src\/domain may import only nothing of ours/],
    ['src/sandbox/workload/x.ts', "import { openStore } from '../../store/open-store.js';", /src\/sandbox may import only platform/],
    ['src/store/x.ts', "import { HttpError } from '../http/errors.js';", /src\/store may import only platform, domain/],
    ['src/main.ts', "import { startSandboxApi } from './sandbox/index.js';", /only src\/commands may use the sandbox/],
    // The planner is handed the kinds: it may see their interface, never a kind or the registry (I/O).
    ['src/planner/x.ts', "import { ACTION_KINDS } from '../actions/registry.js';", /src\/planner may import only platform, domain, rule-table, control \(and src\/actions\/plan-kind.ts\)/],
    ['src/validation/x.ts', "import { scalePlan } from '../actions/scale/plan.js';", /src\/validation may import only/],
    // The pure half of a kind does no I/O.
    ['src/actions/scale/plan.ts', "import type { KubeClient } from '../../kube/client.js';", /pure half of an action kind/],
    ['src/actions/newkind/plan.ts', "import { newKind } from './index.js';", /pure half of an action kind/],
    ['src/actions/scale/plan.ts', "import { Refused } from '../kind.js';", /pure half of an action kind/],
    ['src/actions/scale/plan.ts', "import { PatchStrategy } from '@kubernetes/client-node';", /pure half of an action kind/],
    ['src/actions/newkind/plan.ts', "import { ACTION_KINDS } from '../registry.js';", /pure half of an action kind/],
    ['src/actions/plan-kind.ts', "import { Refused } from './kind.js';", /pure half of an action kind/],
  ])('%s: %s is refused', async (file, code, message) => {
    const messages = await lint(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^no-restricted-imports: /);
    expect(messages[0]).toMatch(message);
  });

  test.each([
    ['src/planner/x.ts', "import type { Rule } from '../rule-table/rule.js';"],
    ['src/remediation/x.ts', "import { Runner } from './runner.js';\nimport type { Store } from '../store/store.js';"],
    // a sibling folder of the same name inside sandbox is not src/validation
    ['src/sandbox/workload/x.ts', "import { validate } from '../validation.js';"],
    ['src/commands/x.ts', "import { startSandboxApi } from '../sandbox/index.js';"],
    ['src/planner/x.ts', "import { planOf } from '../actions/plan-kind.js';"],
    ['src/actions/restart/plan.ts', "import { rolloutPlan } from '../undo/plan.js';\nimport { numberField } from '../plan-kind.js';\nimport { stepUp } from '../../planner/step-policy.js';"],
    ['src/actions/scale/index.ts', "import { scalePlan } from './plan.js';\nimport { KubeError } from '../../kube/errors.js';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await lint(file, code)).toEqual([]);
  });
});

describe('no import cycles', () => {
  test('two modules importing each other are a lint error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lint-cycle-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n");
      writeFileSync(join(dir, 'b.ts'), "import { a } from './a.js';\nexport const b = (): number => (Date.now() < 0 ? a() : 0);\n");
      const cycle = layerConfigs.find((c) => c.rules?.['import-x/no-cycle'])!;
      const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: [parser, { ...cycle, files: ['**/*.ts'] }] });
      const [result] = await eslint.lintFiles([join(dir, 'a.ts')]);
      expect(result!.messages.map((m) => m.ruleId)).toEqual(['import-x/no-cycle']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
