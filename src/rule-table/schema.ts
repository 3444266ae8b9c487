/**
 * The rule table schema: what a `rules/*.yaml` file may say. Parsed with zod at
 * load time; errors are reported with the file and the key path
 * (`rules/db.yaml: rules[2].action.maxReplicas: …`).
 */
import { z } from 'zod';
import { parseDuration } from '../platform/duration.js';
import { freezeWindowSchema } from '../control/freeze.js';

/** A Prometheus-style duration string, parsed to milliseconds. */
export const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (use e.g. 30s, 5m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

/** Value template: literal text with `{{ $labels.x }}` / `{{ $annotations.x }}` substitutions only. */
const templateString = z.string().min(1);

/** One HPA-style step policy (autoscaling/v2 HPAScalingPolicy). */
export const stepPolicySchema = z.strictObject({
  type: z.enum(['Pods', 'Percent']),
  value: z.number().int().positive(),
  periodSeconds: z.number().int().positive().max(1800),
});

/** HPA `behavior.scaleUp` semantics; defaults are HPA's own (Pods 4 / Percent 100 per 15 s, Max). */
const stepSchema = {
  policies: z.array(stepPolicySchema).min(1).default([
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ]),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).default('Max'),
};

const scaleAction = z
  .strictObject({
    type: z.literal('scale'),
    minReplicas: z.number().int().min(0).default(1),
    maxReplicas: z.number().int().positive(),
    ...stepSchema,
  })
  .refine((a) => a.maxReplicas >= a.minReplicas, { message: 'maxReplicas must be ≥ minReplicas', path: ['maxReplicas'] });

const hpaAction = z.strictObject({
  type: z.literal('hpa'),
  /** Which bound of the HPA to raise: `max` lets the HPA go further, `min` forces capacity now. */
  bound: z.enum(['max', 'min', 'both']).default('max'),
  /** The highest value autoremediator will ever set the raised bound(s) to. */
  ceiling: z.number().int().positive(),
  ...stepSchema,
});

const quantity = z.union([z.string().regex(/^\d+(\.\d+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/, 'not a Kubernetes quantity (e.g. 512Mi, 500m, 2)'), z.number().positive()]);

const resourcesAction = z
  .strictObject({
    type: z.literal('resources'),
    container: templateString,
    resource: z.enum(['cpu', 'memory']),
    /** Multiply the current value by this factor … */
    factor: z.number().gt(1).max(10).optional(),
    /** … or set it to this value. */
    to: quantity.optional(),
    /** Never set more than this. */
    cap: quantity,
    /** Which fields to change; both by default (requests never above limits). */
    fields: z.array(z.enum(['requests', 'limits'])).min(1).default(['requests', 'limits']),
  })
  .refine((a) => (a.factor === undefined) !== (a.to === undefined), { message: 'give exactly one of factor or to', path: ['factor'] });

const restartAction = z.strictObject({ type: z.literal('restart') });
const undoAction = z.strictObject({
  type: z.literal('undo'),
  /**
   * Undo only a crash that started with the newest revision: the pod the alert names (target
   * `from: Pod`) belongs to the Deployment's newest ReplicaSet, and the alert started within
   * `within` of that revision's rollout. Otherwise a skip (`not-newest-revision`) that says so.
   */
  newestRevisionOnly: z.strictObject({ within: durationSchema }).optional(),
});

const redisAction = z
  .strictObject({
    type: z.literal('redis'),
    /**
     * Where the Redis server is, never from a label (a password is sent there):
     * `service`, a Service in the target's namespace whose cluster IP is resolved at each
     * read (the namespace is the target's, already checked against ALLOWED_NAMESPACES) …
     */
    service: z
      .string()
      .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Service name (DNS-1035 label), written literally: the Redis host never comes from a label')
      .optional(),
    /** … and its port (number or name; default: the Service's only port) … */
    port: z.union([z.number().int().min(1).max(65535), z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)]).optional(),
    /** … or `address`, a literal `redis://host:port` (no template). */
    address: templateString.optional(),
    /** Environment variable that holds the password, if any (never the password itself). */
    passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
    factor: z.number().gt(1).max(10).optional(),
    to: quantity.optional(),
    cap: quantity,
    /** Run CONFIG REWRITE after CONFIG SET, so the change survives a Redis restart (when it has a config file). */
    rewrite: z.boolean().default(true),
  })
  .refine((a) => (a.factor === undefined) !== (a.to === undefined), { message: 'give exactly one of factor or to', path: ['factor'] })
  .refine((a) => (a.service === undefined) !== (a.address === undefined), { message: 'give exactly one of service (a Service in the target\'s namespace) or address (a literal redis://host:port)', path: ['service'] })
  .refine((a) => a.port === undefined || a.service !== undefined, { message: 'port goes with service (an address carries its own port)', path: ['port'] });

export const actionSchema = z.discriminatedUnion('type', [scaleAction, hpaAction, resourcesAction, restartAction, undoAction, redisAction]);

const checkSchema = z
  .strictObject({
    name: z.string().min(1),
    /** PromQL, templated like targets. It must return a scalar or a one-element vector. */
    query: templateString,
    /** Pass when the value is below / above this number. */
    below: z.number().optional(),
    above: z.number().optional(),
    /** Pass when the value is below / above this factor × the value measured just before the action. */
    belowBaseline: z.number().positive().optional(),
    aboveBaseline: z.number().positive().optional(),
    interval: durationSchema.default(30_000),
    count: z.number().int().positive().default(3),
    failureLimit: z.number().int().min(0).default(0),
    consecutiveErrorLimit: z.number().int().min(0).default(4),
  })
  .refine((c) => [c.below, c.above, c.belowBaseline, c.aboveBaseline].filter((x) => x !== undefined).length >= 1, {
    message: 'a check needs a threshold: below, above, belowBaseline or aboveBaseline',
    path: ['below'],
  });

export const validateSchema = z.strictObject({
  /** Wait for the rollout to be ready (as `kubectl rollout status`) for at most this long. */
  rolloutTimeout: durationSchema.default(300_000),
  checks: z.array(checkSchema).default([]),
  /** What an inconclusive validation (Prometheus errors, no data) does. */
  onInconclusive: z.enum(['keep', 'rollback']).default('keep'),
});

export const restoreSchema = z.strictObject({
  /** Step back toward the pre-action snapshot once the alert has stayed resolved this long. */
  after: durationSchema,
  /** HPA scaleDown semantics; defaults: 10 % per minute. */
  policies: z.array(stepPolicySchema).min(1).default([{ type: 'Percent', value: 10, periodSeconds: 60 }]),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).default('Max'),
});

export const notifySchema = z.strictObject({
  /** Slack channel override (bot-token mode). */
  channel: z.string().optional(),
  /** `quiet`: acts, rollbacks, failures; `verbose`: skips too. Breakers and budgets are always loud. */
  verbosity: z.enum(['quiet', 'verbose']).default('quiet'),
});

const preconditionSchema = z.strictObject({
  name: z.string().min(1),
  /**
   * One comparison that must hold before acting, `<left> <op> <right>` (rule-table/precondition.ts):
   * PromQL, with the plan's numbers as {{ .added }}, {{ .before }}, {{ .after }} and label templates in strings.
   */
  expr: templateString,
  /** Said in the explanation when it does not hold. */
  description: z.string().optional(),
  /**
   * When it cannot be evaluated (no PROMETHEUS_URL, Prometheus unreachable or erring, no data):
   * `skip` (default, skip `precondition-failed`) or `act` as if there were no guard, saying so in the decision.
   */
  onUnknown: z.enum(['skip', 'act']).default('skip'),
});

/** Checked after the change is planned and before acting; each failure is a skip with its own reason (planner/guards.ts). */
export const guardsSchema = z.strictObject({
  /** The namespace's ResourceQuotas have room for the added pods' requests (skip `quota-exceeded`). */
  quota: z.boolean().default(false),
  /** Ready, schedulable nodes have allocatable room for the added pods' requests (skip `capacity-insufficient`). */
  capacity: z.boolean().default(false),
  preconditions: z.array(preconditionSchema).default([]),
});

/** The objects a target can be found from (`target.from`), and what each leads to. */
export const TARGET_SOURCES = ['Pod', 'HorizontalPodAutoscaler'] as const;
export type TargetSource = (typeof TARGET_SOURCES)[number];

/**
 * The object acted on: named literally or by templates (`apiVersion`, `kind`, `namespace`, `name`),
 * or found `from` the object an alert names: a Pod (its controller: ReplicaSet → Deployment, or
 * StatefulSet, by ownerReferences) or a HorizontalPodAutoscaler (its scaleTargetRef). With `from`,
 * `namespace` and `name` name that object and the workload's kind is whatever the cluster says.
 */
export const targetSchema = z
  .strictObject({
    from: z.enum(TARGET_SOURCES).optional(),
    apiVersion: templateString.optional(),
    kind: templateString.optional(),
    namespace: templateString,
    name: templateString,
  })
  .superRefine((t, ctx) => {
    if (t.from !== undefined) {
      for (const key of ['apiVersion', 'kind'] as const) {
        if (t[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `give either from or ${key}: with from: ${t.from}, the workload's ${key} is read from the cluster` });
      }
      return;
    }
    for (const key of ['apiVersion', 'kind'] as const) {
      if (t[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required (or find the workload with from: Pod | HorizontalPodAutoscaler)` });
    }
  });

export const ruleSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'rule names are lower-case letters, digits and dashes'),
  description: z.string().optional(),
  /** Alertmanager matchers, all of which must hold: `alertname="HighPodCPU"`, `severity=~"warning|critical"`. */
  matchers: z.array(z.string().min(1)).min(1),
  target: targetSchema,
  action: actionSchema,
  cooldown: durationSchema.default(300_000),
  enabled: z.boolean().default(true),
  /** Record and announce, never apply. The global DRY_RUN wins when it is true. */
  dryRun: z.boolean().default(false),
  /** Go on matching later rules after this one matched (as in Alertmanager routes). */
  continue: z.boolean().default(false),
  validate: validateSchema.optional(),
  restore: restoreSchema.optional(),
  notify: notifySchema.default({ verbosity: 'quiet' }),
  /** Freeze windows of this rule (besides FREEZE_WINDOWS): its decisions are skips `frozen` while one is in force. */
  freeze: z.array(freezeWindowSchema).optional(),
  /** Silence the alert in Alertmanager while a run validates; unset: SILENCE_DURING_VALIDATION decides. */
  silenceDuringValidation: z.boolean().optional(),
  /**
   * A person approves each act of this rule before it is applied (POST /api/v1/remediations/:id/approve,
   * or Slack's button); unapproved after `timeout` (default APPROVAL_TIMEOUT), the run ends `approval-expired`.
   */
  approval: z.strictObject({ required: z.boolean(), timeout: durationSchema.optional() }).optional(),
  /** Room and limits checked before acting: quota, capacity, PromQL preconditions. */
  guards: guardsSchema.optional(),
  /** Who else manages the target: `gitops: act` acts on an Argo CD/Flux-managed object (that ignores the field) and watches for a revert; default skip (`gitops-managed`). */
  owners: z.strictObject({ gitops: z.enum(['skip', 'act']).default('skip') }).optional(),
});

export const ruleFileSchema = z.strictObject({
  rules: z.array(ruleSchema),
});

export type StepPolicy = z.infer<typeof stepPolicySchema>;
export type ActionSpec = z.infer<typeof actionSchema>;
export type ActionType = ActionSpec['type'];
export type ScaleAction = Extract<ActionSpec, { type: 'scale' }>;
export type HpaAction = Extract<ActionSpec, { type: 'hpa' }>;
export type ResourcesAction = Extract<ActionSpec, { type: 'resources' }>;
export type RedisAction = Extract<ActionSpec, { type: 'redis' }>;
export type UndoAction = Extract<ActionSpec, { type: 'undo' }>;
export type RestartAction = Extract<ActionSpec, { type: 'restart' }>;
export type CheckSpec = z.infer<typeof checkSchema>;
export type ValidateSpec = z.infer<typeof validateSchema>;
export type RestoreSpec = z.infer<typeof restoreSchema>;
export type TargetTemplate = z.infer<typeof targetSchema>;
export type RuleSpec = z.infer<typeof ruleSchema>;
export type GuardsSpec = z.infer<typeof guardsSchema>;
export type PreconditionSpec = z.infer<typeof preconditionSchema>;
