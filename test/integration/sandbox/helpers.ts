// Shared setup for the sandbox tests: a real server on 127.0.0.1:0 with fast
// timings, real client-node API clients, and small polling/error helpers.
import {
  ApiException, AppsV1Api, AutoscalingV2Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig,
} from '@kubernetes/client-node';
import { loadSeed, startSandboxApi, type SandboxApi, type SandboxOptions } from '../../../src/sandbox/index.js';

export interface Harness {
  api: SandboxApi;
  kc: KubeConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
  autoscaling: AutoscalingV2Api;
  coordination: CoordinationV1Api;
  custom: CustomObjectsApi;
}

/** Fast enough for tests, slow enough that "not ready yet" is observable. */
export const READY_DELAY_MS = 150;
export const TICK_MS = 20;

export async function startHarness(opts: SandboxOptions = {}): Promise<Harness> {
  const api = await startSandboxApi({ seed: loadSeed(), readyDelayMs: READY_DELAY_MS, tickMs: TICK_MS, ...opts });
  const kc = api.kubeConfig();
  return {
    api,
    kc,
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    autoscaling: kc.makeApiClient(AutoscalingV2Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 3000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface StatusBody {
  kind: string;
  status: string;
  reason: string;
  code: number;
  message: string;
  details?: { name?: string; group?: string; kind?: string; retryAfterSeconds?: number; causes?: { field?: string; message?: string }[] };
}

/** Runs `fn`, expects an ApiException, and returns its code, headers and parsed Status body. */
export async function apiError(fn: () => Promise<unknown>): Promise<{ code: number; status: StatusBody; headers: Record<string, string> }> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ApiException) {
      const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
      return { code: e.code, status: body as StatusBody, headers: e.headers };
    }
    throw e;
  }
  throw new Error('expected the call to fail with an ApiException');
}

/** A clock the test moves by hand; pair it with a long tickMs and `api.tick()`. */
export class ManualClock {
  constructor(public ms = Date.parse('2030-01-01T00:00:00Z')) {}
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

interface RolloutView {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number;
    conditions?: { type: string; reason?: string }[];
  };
}

/** kubectl's DeploymentStatusViewer (k8s-semantics §3.3): 'done', 'waiting: …' or 'error: …'. */
export function rolloutStatus(d: RolloutView): string {
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) <= (s.observedGeneration ?? 0)) {
    const progressing = (s.conditions ?? []).find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') return 'error: exceeded its progress deadline';
    if (d.spec?.replicas !== undefined && (s.updatedReplicas ?? 0) < d.spec.replicas) return 'waiting: new replicas';
    if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) return 'waiting: old replicas pending termination';
    if ((s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0)) return 'waiting: updated replicas available';
    return 'done';
  }
  return 'waiting: spec update to be observed';
}
