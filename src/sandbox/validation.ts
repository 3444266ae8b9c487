/**
 * API defaulting and validation for the kinds the sandbox simulates: the subset
 * of the real rules that a scaling service can trip over (negative replicas,
 * requests above limits, HPA bounds, a selector that does not match the template).
 */
import { labelSelectorMatcher } from './selectors.js';
import { R, type ResourceDef } from './resources.js';
import type { FieldError } from './status.js';
import { deepEqual, isRecord, type Container, type LabelSelector, type PodTemplate, type StoredObject } from './types.js';

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A resource.Quantity ("250m", "1Gi", "1e3") as a number, or null when it does not parse. */
export function parseQuantity(q: unknown): number | null {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return null;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) return null;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? '']!;
}

/** Fills the server-side defaults a real API server would add on create. */
export function applyDefaults(def: ResourceDef, obj: StoredObject): void {
  const spec = isRecord(obj.spec) ? obj.spec : undefined;
  if (def === R.deployments && spec) {
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    if (!isRecord(spec.strategy)) spec.strategy = { type: 'RollingUpdate' };
    const strategy = spec.strategy as Record<string, unknown>;
    strategy.type ??= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
      ru.maxSurge ??= '25%';
      ru.maxUnavailable ??= '25%';
      strategy.rollingUpdate = ru;
    }
    defaultPodTemplate(spec.template);
  } else if (def === R.replicasets && spec) {
    spec.replicas ??= 1;
    defaultPodTemplate(spec.template);
  } else if (def === R.statefulsets && spec) {
    spec.replicas ??= 1;
    spec.podManagementPolicy ??= 'OrderedReady';
    spec.revisionHistoryLimit ??= 10;
    if (!isRecord(spec.updateStrategy)) spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
    defaultPodTemplate(spec.template);
  } else if (def === R.hpas && spec) {
    spec.minReplicas ??= 1;
  } else if (def === R.cnpgClusters && spec) {
    spec.instances ??= 1;
  } else if (def === R.pods && spec) {
    defaultPodSpec(spec);
  } else if (def === R.namespaces) {
    obj.spec = { finalizers: ['kubernetes'] };
    obj.status = { phase: 'Active' };
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
  }
}

function defaultPodTemplate(template: unknown): void {
  if (isRecord(template) && isRecord(template.spec)) defaultPodSpec(template.spec);
}

function defaultPodSpec(spec: Record<string, unknown>): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) {
    if (!isRecord(c)) continue;
    c.imagePullPolicy ??= typeof c.image === 'string' && (c.image.endsWith(':latest') || !c.image.includes(':')) ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
  }
}

function replicasErrors(value: unknown, field: string, min = 0): FieldError[] {
  if (value === undefined) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return [{ field, type: 'FieldValueInvalid', value, detail: 'must be an integer' }];
  }
  if (value < min) return [{ field, type: 'FieldValueInvalid', value, detail: `must be greater than or equal to ${min}` }];
  return [];
}

function containerErrors(containers: unknown, field: string, required: boolean): FieldError[] {
  if (containers === undefined && !required) return [];
  if (!Array.isArray(containers) || containers.length === 0) {
    return required ? [{ field, type: 'FieldValueRequired', detail: '' }] : [];
  }
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((raw, i) => {
    const c = raw as Container;
    const at = `${field}[${i}]`;
    if (!isRecord(c) || typeof c.name !== 'string' || c.name === '') {
      errors.push({ field: `${at}.name`, type: 'FieldValueRequired', detail: '' });
      return;
    }
    if (seen.has(c.name)) errors.push({ field: `${at}.name`, type: 'FieldValueInvalid', value: c.name, detail: 'Duplicate value' });
    seen.add(c.name);
    if (typeof c.image !== 'string' || c.image === '') errors.push({ field: `${at}.image`, type: 'FieldValueRequired', detail: '' });
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    for (const [name, value] of [...Object.entries(requests), ...Object.entries(limits)]) {
      if (parseQuantity(value) === null || parseQuantity(value)! < 0) {
        errors.push({ field: `${at}.resources`, type: 'FieldValueInvalid', value, detail: `quantity for ${name} must be a non-negative quantity` });
      }
    }
    for (const [name, request] of Object.entries(requests)) {
      const limit = limits[name];
      if (limit === undefined) continue;
      const r = parseQuantity(request);
      const l = parseQuantity(limit);
      if (r !== null && l !== null && r > l) {
        errors.push({
          field: `${at}.resources.requests`, type: 'FieldValueInvalid', value: request,
          detail: `must be less than or equal to ${name} limit of ${limit}`,
        });
      }
    }
  });
  return errors;
}

function templateErrors(selector: LabelSelector | undefined, template: PodTemplate | undefined, selectorRequired: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const empty = !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
  if (empty && selectorRequired) errors.push({ field: 'spec.selector', type: 'FieldValueRequired', detail: '' });
  if (typeof template !== 'object' || template === null) {
    errors.push({ field: 'spec.template', type: 'FieldValueRequired', detail: '' });
    return errors;
  }
  const labels = template.metadata?.labels;
  if (!empty && !labelSelectorMatcher(selector)(labels)) {
    errors.push({
      field: 'spec.template.metadata.labels', type: 'FieldValueInvalid', value: labels ?? {},
      detail: '`selector` does not match template `labels`',
    });
  }
  errors.push(...containerErrors(template.spec?.containers, 'spec.template.spec.containers', true));
  errors.push(...containerErrors(template.spec?.initContainers, 'spec.template.spec.initContainers', false));
  return errors;
}

/** Field errors of an object about to be written; `old` is the stored object on update. */
export function validateObject(def: ResourceDef, obj: StoredObject, old: StoredObject | undefined): FieldError[] {
  const spec = (isRecord(obj.spec) ? obj.spec : {});
  const oldSpec = (old && isRecord(old.spec) ? old.spec : {});
  const errors: FieldError[] = [];
  if (def === R.deployments || def === R.replicasets || def === R.statefulsets) {
    errors.push(...replicasErrors(spec.replicas, 'spec.replicas'));
    errors.push(...templateErrors(spec.selector as LabelSelector | undefined, spec.template as PodTemplate | undefined, true));
    if (old && !deepEqual(spec.selector, oldSpec.selector)) {
      errors.push({ field: 'spec.selector', type: 'FieldValueInvalid', value: spec.selector, detail: 'field is immutable' });
    }
  } else if (def === R.hpas) {
    const ref = spec.scaleTargetRef as Record<string, unknown> | undefined;
    if (!isRecord(ref) || !ref.kind) errors.push({ field: 'spec.scaleTargetRef.kind', type: 'FieldValueRequired', detail: '' });
    if (!isRecord(ref) || !ref.name) errors.push({ field: 'spec.scaleTargetRef.name', type: 'FieldValueRequired', detail: '' });
    errors.push(...replicasErrors(spec.minReplicas, 'spec.minReplicas', 1));
    const max = spec.maxReplicas;
    if (max === undefined) errors.push({ field: 'spec.maxReplicas', type: 'FieldValueRequired', detail: '' });
    else {
      errors.push(...replicasErrors(max, 'spec.maxReplicas', 1));
      if (typeof max === 'number' && typeof spec.minReplicas === 'number' && max < spec.minReplicas) {
        errors.push({ field: 'spec.maxReplicas', type: 'FieldValueInvalid', value: max, detail: 'must be greater than or equal to `minReplicas`' });
      }
    }
  } else if (def === R.cnpgClusters) {
    const n = spec.instances;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      errors.push({ field: 'spec.instances', type: 'FieldValueInvalid', value: n, detail: 'spec.instances in body must be of type integer' });
    } else if (n < 1) {
      errors.push({ field: 'spec.instances', type: 'FieldValueInvalid', value: n, detail: 'spec.instances in body should be greater than or equal to 1' });
    }
  } else if (def === R.scaledObjects) {
    // As the CRD's schema: scaleTargetRef (with a name) and triggers required; the counts int32.
    if (!isRecord(spec.scaleTargetRef)) errors.push({ field: 'spec.scaleTargetRef', type: 'FieldValueRequired', detail: 'Required value' });
    else if (typeof spec.scaleTargetRef.name !== 'string') errors.push({ field: 'spec.scaleTargetRef.name', type: 'FieldValueRequired', detail: 'Required value' });
    if (!Array.isArray(spec.triggers)) errors.push({ field: 'spec.triggers', type: 'FieldValueRequired', detail: 'Required value' });
    for (const f of ['minReplicaCount', 'maxReplicaCount', 'idleReplicaCount'] as const) {
      const n = spec[f];
      if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n))) errors.push({ field: `spec.${f}`, type: 'FieldValueInvalid', value: n, detail: `spec.${f} in body must be of type integer` });
    }
  } else if (def === R.pods) {
    errors.push(...containerErrors(spec.containers, 'spec.containers', true));
  } else if (def === R.events) {
    const involved = obj.involvedObject;
    if (!isRecord(involved)) errors.push({ field: 'involvedObject', type: 'FieldValueRequired', detail: '' });
    else if ((involved.namespace ?? '') !== (obj.metadata.namespace ?? '')) {
      errors.push({ field: 'involvedObject.namespace', type: 'FieldValueInvalid', value: involved.namespace, detail: 'does not match event.namespace' });
    }
  } else if (def === R.leases) {
    const d = spec.leaseDurationSeconds;
    if (d !== undefined && (typeof d !== 'number' || !Number.isInteger(d) || d <= 0)) {
      errors.push({ field: 'spec.leaseDurationSeconds', type: 'FieldValueInvalid', value: d, detail: 'must be greater than 0' });
    }
  }
  return errors;
}
