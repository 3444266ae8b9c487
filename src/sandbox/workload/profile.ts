/**
 * Load profiles: how the offered load changes while the sandbox runs. Set over
 * HTTP (`POST /sandbox/load`) or by the demo; evaluated each time the workload is
 * read. Pure.
 */
import { z } from 'zod';
import type { Load } from './model.js';

/** Which part of the load a profile moves. */
export type LoadField = keyof Load;

/**
 * - `step`: from the current value to `to` in `steps` equal steps (default 3), the
 *   first at once and the others spread evenly over `durationSeconds`; then holds `to`.
 * - `ramp`: linearly from the current value to `to` over `durationSeconds`; then holds `to`.
 * - `spike`: `to` at once for `durationSeconds`, then back to the value before.
 */
export interface ProfileSpec {
  type: 'step' | 'ramp' | 'spike';
  to: number;
  durationSeconds: number;
  /** Default `rps`. */
  target?: LoadField;
  /** `step` only. */
  steps?: number;
}

/** A profile in progress: its spec, where it started from and when. */
export interface ActiveProfile {
  spec: ProfileSpec;
  field: LoadField;
  from: number;
  startedAtMs: number;
}

/** The value a profile gives at `nowMs`, and whether it has finished (then that value stays). */
export function profileValue(p: ActiveProfile, nowMs: number): { value: number; done: boolean } {
  const { spec, from } = p;
  const durationMs = spec.durationSeconds * 1000;
  const elapsed = Math.max(0, nowMs - p.startedAtMs);
  const done = elapsed >= durationMs;
  switch (spec.type) {
    case 'ramp':
      return done ? { value: spec.to, done } : { value: from + ((spec.to - from) * elapsed) / durationMs, done };
    case 'spike':
      return { value: done ? from : spec.to, done };
    case 'step': {
      const steps = Math.max(1, spec.steps ?? 3);
      if (done) return { value: spec.to, done };
      // Step k (1-based) comes at (k-1)/steps of the duration: the first at once.
      const taken = Math.min(steps, Math.floor((elapsed * steps) / durationMs) + 1);
      return { value: from + ((spec.to - from) * taken) / steps, done };
    }
  }
}

const rate = z.number().finite().min(0).max(1_000_000);

export const profileSchema = z.strictObject({
  type: z.enum(['step', 'ramp', 'spike']),
  to: rate,
  durationSeconds: z.number().finite().min(0).max(86_400),
  target: z.enum(['rps', 'messagesPerSecond']).optional(),
  steps: z.number().int().min(1).max(100).optional(),
});

/** The body of `POST /sandbox/load`: new base values, then a profile that starts from them. */
export const loadBodySchema = z.strictObject({
  rps: rate.optional(),
  messagesPerSecond: rate.optional(),
  profile: profileSchema.optional(),
});

export type LoadBody = z.infer<typeof loadBodySchema>;

/** The body of `POST /sandbox/workload/faults`: a fault to set, or null to clear it. */
export const faultsBodySchema = z.strictObject({
  dbPoolExhaustedAbove: z
    .strictObject({ replicas: z.number().int().min(0), deployment: z.string().min(1).optional() })
    .nullable()
    .optional(),
  memoryLeakMiBPerMinute: z.number().finite().min(0).max(1_000_000).nullable().optional(),
});

/** Load control: base values plus at most one profile per field. */
export class LoadController {
  private base: Load;
  private readonly profiles = new Map<LoadField, ActiveProfile>();

  constructor(initial: Load) {
    this.base = { ...initial };
  }

  /** Applies a `POST /sandbox/load` body at `nowMs`: base values first, then the profile from them. */
  set(body: LoadBody, nowMs: number): void {
    this.settle(nowMs);
    if (body.rps !== undefined) {
      this.base.rps = body.rps;
      this.profiles.delete('rps');
    }
    if (body.messagesPerSecond !== undefined) {
      this.base.messagesPerSecond = body.messagesPerSecond;
      this.profiles.delete('messagesPerSecond');
    }
    if (body.profile) {
      const spec: ProfileSpec = { ...body.profile };
      const field = spec.target ?? 'rps';
      this.profiles.set(field, { spec, field, from: this.at(nowMs)[field], startedAtMs: nowMs });
    }
  }

  /** The load at `nowMs`. */
  at(nowMs: number): Load {
    const load = { ...this.base };
    for (const p of this.profiles.values()) load[p.field] = profileValue(p, nowMs).value;
    return load;
  }

  /** The profiles still running at `nowMs`. */
  active(nowMs: number): ActiveProfile[] {
    this.settle(nowMs);
    return [...this.profiles.values()];
  }

  /** Finished profiles leave their final value as the base. */
  private settle(nowMs: number): void {
    for (const [field, p] of this.profiles) {
      const { value, done } = profileValue(p, nowMs);
      if (done) {
        this.base[field] = value;
        this.profiles.delete(field);
      }
    }
  }
}
