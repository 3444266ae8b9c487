/** The test-only `level` kind, the I/O half: read and write the annotation with a resourceVersion precondition. */
import { PatchStrategy } from '@kubernetes/client-node';
import { Refused, type ActionKind } from '../../../../src/actions/kind.js';
import { numberField } from '../../../../src/actions/plan-kind.js';
import type { TargetRef } from '../../../../src/domain/target.js';
import type { KubeClient } from '../../../../src/kube/client.js';
import { retryOnConflict } from '../../../../src/kube/retry.js';
import { levelPlan, type LevelAction, type LevelSnapshot, type LevelState } from './plan.js';

async function readLevel(kube: KubeClient, t: TargetRef, annotation: string): Promise<LevelState> {
  const obj = await kube.getObject(t);
  return { level: Number(obj.metadata?.annotations?.[annotation] ?? 0), resourceVersion: obj.metadata?.resourceVersion ?? null };
}

async function writeLevel(kube: KubeClient, t: TargetRef, annotation: string, level: number, resourceVersion: string | null): Promise<void> {
  await kube.patchObject(t, { metadata: { ...(resourceVersion ? { resourceVersion } : {}), annotations: { [annotation]: String(level) } } }, PatchStrategy.MergePatch);
}

export const levelKind: ActionKind<LevelAction, LevelState, LevelSnapshot> = {
  ...levelPlan,
  events: { up: 'ExampleLevelRaised', down: 'ExampleLevelLowered' },
  async read({ kube }, target, action) {
    return { found: true, ...(await readLevel(kube, target, action.annotation)) };
  },
  async apply({ kube }, decision, action) {
    const before = numberField(decision.before, 'level', 'level decision.before');
    const after = numberField(decision.after, 'level', 'level decision.after');
    await retryOnConflict(async () => {
      const now = await readLevel(kube, decision.target, action.annotation);
      if (now.level !== before) throw new Refused(`the level changed since the plan: ${now.level}, planned from ${before}`);
      await writeLevel(kube, decision.target, action.annotation, after, now.resourceVersion);
    });
    return { detail: `raised the level to ${after}`, snapshot: { level: before }, applied: { level: after } };
  },
  async restore({ kube }, target, action, snapshot) {
    await retryOnConflict(async () => {
      const now = await readLevel(kube, target, action.annotation);
      await writeLevel(kube, target, action.annotation, snapshot.level, now.resourceVersion);
    });
    return { detail: `restored the level to ${snapshot.level}` };
  },
};
