/**
 * A rule's guards (`guards:` quota, capacity, preconditions), judged after the change is planned
 * and before acting. Pure: guardNeeds() says what the I/O code must read for a planned change,
 * guardVerdict() decides from what it read. Each guard that fails is a skip with its own reason
 * and the numbers: `quota-exceeded`, `capacity-insufficient`, `precondition-failed`; a read that
 * failed is `state-unavailable` (quota, capacity) or `precondition-failed` (a query), never an act:
 * a guard that cannot be checked does not pass.
 */
import type { TargetState } from '../domain/cluster.js';
import type { SkipReason, StateFields } from '../domain/decision.js';
import type { CapacityReading, GuardReadings, PodResources, QuotaReading, Reading } from '../domain/guards.js';
import type { LabelSet } from '../domain/alert.js';
import { targetKey, type TargetRef } from '../domain/target.js';
import { compare, constantValue, splitPrecondition, substitutePlan, type Comparison, type PlanNumbers } from '../rule-table/precondition.js';
import type { ActionSpec, GuardsSpec } from '../rule-table/schema.js';
import { renderValue } from '../rule-table/templates.js';
import { formatBytes, formatCpu, parseQuantity } from './quantity.js';

/** The part of a planned change the guards look at. */
export interface PlannedChange {
  before: StateFields;
  after: StateFields;
}

type Found = Extract<TargetState, { found: true }>;

export interface GuardInput {
  guards: GuardsSpec | undefined;
  target: TargetRef;
  action: ActionSpec;
  alert: { labels: LabelSet; annotations: LabelSet };
  state: Found;
  change: PlannedChange;
  readings: GuardReadings | undefined;
}

export interface GuardSkip {
  reason: SkipReason;
  notes?: undefined;
  explanation: string;
  facts: Record<string, unknown>;
}

/** One precondition rendered for this change: its sides, each a constant or a query to ask Prometheus. */
export interface RenderedPrecondition {
  name: string;
  onUnknown: 'skip' | 'act';
  description?: string;
  expr: string;
  op: Comparison;
  left: Side;
  right: Side;
}
type Side = { text: string; constant: number } | { text: string; query: string };

/** What the I/O code reads for the guards of one planned change. */
export interface GuardNeeds {
  quotas: boolean;
  pod: boolean;
  capacity: boolean;
  /** Rendered queries (precondition sides) to ask Prometheus, each once. */
  queries: string[];
}

/** Pods and requests the change adds, beyond what runs now. */
export interface AddedLoad {
  pods: number;
  /** Requests and limits added to pods that exist (a `resources` raise × replicas). */
  extra: { requests: { cpu: number; memory: number }; limits: { cpu: number; memory: number } };
  /** How the pods were counted, for the explanation. */
  basis: string;
}

/**
 * The numbers of a plan: the first numeric field that changes (replicas, the raised HPA bound,
 * maxmemory), `added` = after − before. Zero for changes without one (restart, undo).
 */
export function planNumbers(change: PlannedChange): PlanNumbers {
  for (const [field, after] of Object.entries(change.after)) {
    const before = change.before[field];
    if (typeof before === 'number' && typeof after === 'number' && before !== after) return { before, after, added: after - before };
  }
  return { before: 0, after: 0, added: 0 };
}

/** What a change adds to the namespace and the nodes: new pods of the target, or more per pod. */
export function addedLoad(action: ActionSpec, state: Found, change: PlannedChange): AddedLoad {
  const none = { requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 } };
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  switch (action.type) {
    case 'scale': {
      const before = num(change.before.replicas) ?? 0;
      const after = num(change.after.replicas) ?? before;
      return { pods: Math.max(0, after - before), extra: none, basis: `replicas ${before}→${after}` };
    }
    case 'hpa': {
      // The pods the new bounds let run beyond those running now: a raised floor starts them at
      // once, a raised ceiling lets the HPA start them (it is raised because the HPA wants them).
      const field = action.bound === 'min' ? 'minReplicas' : 'maxReplicas';
      const top = num(change.after[field]) ?? 0;
      const current = state.hpa?.currentReplicas ?? num(change.before[field]) ?? 0;
      return { pods: Math.max(0, top - current), extra: none, basis: `HPA ${field} ${String(change.before[field])}→${top} with ${current} running` };
    }
    case 'resources': {
      const replicas = state.replicas ?? state.hpa?.currentReplicas ?? 1;
      const delta = (field: 'requests' | 'limits'): number => {
        const b = change.before[`${field}.${action.resource}`];
        const a = change.after[`${field}.${action.resource}`];
        const bv = typeof b === 'string' ? (parseQuantity(b) ?? 0) : 0;
        const av = typeof a === 'string' ? (parseQuantity(a) ?? bv) : bv;
        return Math.max(0, av - bv) * replicas;
      };
      const extra = { requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 } };
      extra.requests[action.resource] = delta('requests');
      extra.limits[action.resource] = delta('limits');
      return { pods: 0, extra, basis: `${action.resource} raised on ${replicas} replicas` };
    }
    default:
      return { pods: 0, extra: none, basis: `${action.type} adds no pods` };
  }
}

/** Render the preconditions for this change, or the first that cannot be rendered (a missing label). */
export function renderPreconditions(guards: GuardsSpec | undefined, alert: GuardInput['alert'], change: PlannedChange): { ok: true; value: RenderedPrecondition[] } | { ok: false; name: string; message: string } {
  const out: RenderedPrecondition[] = [];
  const numbers = planNumbers(change);
  for (const p of guards?.preconditions ?? []) {
    const withNumbers = substitutePlan(p.expr, numbers);
    const rendered = renderValue(withNumbers, alert, 'promql');
    if (!rendered.ok) return { ok: false, name: p.name, message: rendered.message };
    const split = splitPrecondition(rendered.value);
    if (!split.ok) return { ok: false, name: p.name, message: split.message };
    const side = (text: string): Side => {
      const c = constantValue(text);
      return c === null ? { text, query: text } : { text, constant: c };
    };
    out.push({ name: p.name, onUnknown: p.onUnknown, ...(p.description ? { description: p.description } : {}), expr: rendered.value, op: split.value.op, left: side(split.value.left), right: side(split.value.right) });
  }
  return { ok: true, value: out };
}

/** What must be read to judge the guards of this change. */
export function guardNeeds(input: Omit<GuardInput, 'readings'>): GuardNeeds {
  const g = input.guards;
  const load = addedLoad(input.action, input.state, input.change);
  const pods = load.pods > 0;
  const quotas = (g?.quota ?? false) && (pods || hasExtra(load));
  const capacity = (g?.capacity ?? false) && (pods || hasExtra(load));
  const pre = renderPreconditions(g, input.alert, input.change);
  const queries = pre.ok ? [...new Set(pre.value.flatMap((p) => [p.left, p.right].flatMap((s) => ('query' in s ? [s.query] : []))))] : [];
  return { quotas, pod: (quotas || capacity) && pods, capacity, queries };
}

function hasExtra(load: AddedLoad): boolean {
  const { requests, limits } = load.extra;
  return requests.cpu + requests.memory + limits.cpu + limits.memory > 0;
}

/**
 * The guards' verdict on a planned change: the first that fails (quota, then capacity, then the
 * preconditions in order), or a pass with notes for the decision's explanation (a precondition
 * that could not be evaluated and says `onUnknown: act`).
 */
export function guardVerdict(input: GuardInput): GuardSkip | { reason: null; notes: string[] } {
  const notes: string[] = [];
  const g = input.guards;
  if (!g) return { reason: null, notes };
  const needs = guardNeeds(input);
  const readings = input.readings ?? {};
  const key = targetKey(input.target);
  const load = addedLoad(input.action, input.state, input.change);

  let pod: PodResources = { requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 } };
  if (needs.pod) {
    const r = readings.pod;
    if (!r || !r.ok) return unreadable(`the pod resources of ${key}`, r);
    pod = r.value;
  }
  const need = {
    pods: load.pods,
    'requests.cpu': load.pods * pod.requests.cpu + load.extra.requests.cpu,
    'requests.memory': load.pods * pod.requests.memory + load.extra.requests.memory,
    'limits.cpu': load.pods * pod.limits.cpu + load.extra.limits.cpu,
    'limits.memory': load.pods * pod.limits.memory + load.extra.limits.memory,
  };
  const needFacts = { addedPods: load.pods, basis: load.basis, perPod: pod, need };

  if (needs.quotas) {
    const r = readings.quotas;
    if (!r || !r.ok) return unreadable(`the ResourceQuotas of namespace ${input.target.namespace}`, r);
    const failed = quotaShortfalls(r.value, need, pod, load);
    if (failed.pending.length > 0) {
      return {
        reason: 'state-unavailable',
        explanation: `The quota controller has not yet computed the usage of ResourceQuota ${failed.pending.map((n) => `${input.target.namespace}/${n}`).join(', ')} (no status.used); guard quota cannot tell whether ${key} has room.`,
        facts: { ...needFacts, quotas: r.value },
      };
    }
    if (failed.lines.length > 0) {
      return {
        reason: 'quota-exceeded',
        explanation: `No room in the namespace's quota for ${load.basis} of ${key}: ${failed.lines.join('; ')}.`,
        facts: { ...needFacts, quotas: r.value, shortfalls: failed.lines },
      };
    }
  }

  if (needs.capacity) {
    const r = readings.capacity;
    if (!r || !r.ok) return unreadable('the nodes and pods of the cluster', r);
    const lines = capacityShortfalls(r.value, need, pod, load);
    if (lines.length > 0) {
      return {
        reason: 'capacity-insufficient',
        explanation: `The cluster has no room for ${load.basis} of ${key}: ${lines.join('; ')} (allocatable of ${r.value.nodes} Ready, schedulable node${r.value.nodes === 1 ? '' : 's'} minus the requests of the pods on them).`,
        facts: { ...needFacts, capacity: r.value },
      };
    }
  }

  const pre = renderPreconditions(g, input.alert, input.change);
  if (!pre.ok) {
    return { reason: 'precondition-failed', explanation: `Precondition ${pre.name} could not be rendered: ${pre.message}; not acting on ${key} without it.`, facts: { precondition: pre.name } };
  }
  for (const p of pre.value) {
    const value = (s: Side): Reading<number> => ('constant' in s ? { ok: true, value: s.constant } : (readings.queries?.[s.query] ?? { ok: false, error: 'not evaluated' }));
    const left = value(p.left);
    const right = value(p.right);
    const facts = { precondition: p.name, expr: p.expr, left: left.ok ? left.value : null, right: right.ok ? right.value : null };
    const about = p.description ? ` (${p.description})` : '';
    if (!left.ok || !right.ok) {
      const [side, r] = !left.ok ? [p.left, left] : [p.right, right as { ok: false; error: string }];
      if (p.onUnknown === 'act') {
        notes.push(`Precondition ${p.name} could not be evaluated (\`${side.text}\`: ${r.error}); acting as without it (onUnknown: act).`);
        continue;
      }
      return {
        reason: 'precondition-failed',
        explanation: `Precondition ${p.name}${about} could not be evaluated: \`${side.text}\`: ${r.error}; not acting on ${key} without it.`,
        facts,
      };
    }
    if (!compare(left.value, p.op, right.value)) {
      return {
        reason: 'precondition-failed',
        explanation: `Precondition ${p.name}${about} does not hold for ${key}: \`${p.left.text}\` = ${num(left.value)} is not ${p.op} \`${p.right.text}\` = ${num(right.value)}.`,
        facts,
      };
    }
  }
  return { reason: null, notes };
}

function unreadable(what: string, r: Reading<unknown> | undefined): GuardSkip {
  const why = r && !r.ok ? r.error : 'not read';
  return { reason: 'state-unavailable', explanation: `Could not read ${what} for the rule's guards: ${why}.`, facts: {} };
}

type Need = Record<'pods' | 'requests.cpu' | 'requests.memory' | 'limits.cpu' | 'limits.memory', number>;

/** Quota resource names that count what we add (`cpu` is `requests.cpu`, as the quota admission counts it). */
const QUOTA_RESOURCES: Record<string, keyof Need> = {
  pods: 'pods',
  'count/pods': 'pods',
  cpu: 'requests.cpu',
  'requests.cpu': 'requests.cpu',
  memory: 'requests.memory',
  'requests.memory': 'requests.memory',
  'limits.cpu': 'limits.cpu',
  'limits.memory': 'limits.memory',
};

function show(resource: keyof Need, v: number): string {
  if (resource.endsWith('.cpu')) return formatCpu(v);
  if (resource.endsWith('.memory')) return formatBytes(v);
  return String(v);
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

function perPodOf(resource: keyof Need, pod: PodResources): number {
  switch (resource) {
    case 'pods':
      return 1;
    case 'requests.cpu':
      return pod.requests.cpu;
    case 'requests.memory':
      return pod.requests.memory;
    case 'limits.cpu':
      return pod.limits.cpu;
    case 'limits.memory':
      return pod.limits.memory;
  }
}

function needPhrase(resource: keyof Need, need: number, pod: PodResources, load: AddedLoad): string {
  if (load.pods > 0 && resource !== 'pods') return `${load.pods} more pod${load.pods === 1 ? '' : 's'} × ${show(resource, perPodOf(resource, pod))} = ${show(resource, need)}`;
  if (load.pods > 0) return `${load.pods} more`;
  return `${show(resource, need)} more`;
}

/** Each quota resource the change would push past its hard limit, with the numbers. */
export function quotaShortfalls(quotas: readonly QuotaReading[], need: Need, pod: PodResources, load: AddedLoad): { lines: string[]; pending: string[] } {
  const lines: string[] = [];
  const pending: string[] = [];
  for (const q of quotas) {
    const counted = Object.keys(q.hard).filter((r) => QUOTA_RESOURCES[r] !== undefined && need[QUOTA_RESOURCES[r]] > 0);
    if (counted.length === 0) continue;
    if (q.used === null) {
      pending.push(q.name);
      continue;
    }
    for (const r of counted) {
      const resource = QUOTA_RESOURCES[r]!;
      const hard = parseQuantity(q.hard[r]!) ?? 0;
      const used = parseQuantity(q.used[r] ?? '0') ?? 0;
      const wanted = need[resource];
      if (used + wanted > hard + 1e-9) {
        const room = Math.max(0, hard - used);
        lines.push(`ResourceQuota ${q.name}${q.scoped ? ' (scoped)' : ''} ${r}: ${needPhrase(resource, wanted, pod, load)} needed, ${show(resource, used)} of ${show(resource, hard)} used, room for ${show(resource, room)}`);
      }
    }
  }
  return { lines, pending };
}

/** Each of pods, CPU and memory requests the nodes have less room for than the change needs. */
export function capacityShortfalls(c: CapacityReading, need: Need, pod: PodResources, load: AddedLoad): string[] {
  const lines: string[] = [];
  const check = (resource: 'pods' | 'requests.cpu' | 'requests.memory', allocatable: number, requested: number, label: string): void => {
    const wanted = need[resource];
    if (wanted <= 0) return;
    const room = Math.max(0, allocatable - requested);
    if (wanted > room + 1e-9) lines.push(`${label}: ${needPhrase(resource, wanted, pod, load)} needed, ${show(resource, requested)} of ${show(resource, allocatable)} allocatable requested, room for ${show(resource, room)}`);
  };
  check('pods', c.allocatable.pods, c.requested.pods, 'pods');
  check('requests.cpu', c.allocatable.cpu, c.requested.cpu, 'cpu requests');
  check('requests.memory', c.allocatable.memory, c.requested.memory, 'memory requests');
  return lines;
}
