/**
 * Where a `redis` action connects. Never from an alert label: either the rule's literal
 * address, or the cluster IP of a Service the rule names, read in the target's own
 * namespace (which the planner has already checked against ALLOWED_NAMESPACES). A
 * password (`passwordEnv`) therefore only ever goes to a host the rule's author chose.
 */
import type { TargetRef } from '../domain/target.js';
import type { KubeClient } from '../kube/client.js';
import type { RedisAction } from '../rule-table/schema.js';
import { Refused } from './kind.js';

/** What the resolver needs of a Service. */
export interface ServiceView {
  spec?: { clusterIP?: string; ports?: Array<{ name?: string; port: number }> };
}

/** The address of a Service's port, or why it cannot be used. Pure. */
export function serviceAddress(svc: ServiceView, where: string, port: number | string | undefined): { ok: true; address: string } | { ok: false; reason: string } {
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') return { ok: false, reason: `Service ${where} has no cluster IP (headless); name a Service with one` };
  const ports = svc.spec?.ports ?? [];
  let chosen: number | undefined;
  if (typeof port === 'number') chosen = port;
  else if (typeof port === 'string') chosen = ports.find((p) => p.name === port)?.port;
  else if (ports.length === 1) chosen = ports[0]!.port;
  if (chosen === undefined) {
    const names = ports.map((p) => p.name ?? String(p.port)).join(', ') || 'none';
    return { ok: false, reason: `Service ${where}: ${port === undefined ? 'more than one port, give `port` in the rule' : `no port named ${JSON.stringify(port)}`} (ports: ${names})` };
  }
  return { ok: true, address: `redis://${ip.includes(':') ? `[${ip}]` : ip}:${chosen}` };
}

/** Resolve the address for one target; throws Refused when the Service cannot be used, KubeError when it cannot be read. */
export async function redisAddress(kube: KubeClient, target: TargetRef, action: RedisAction): Promise<string> {
  if (action.address !== undefined) return action.address;
  if (action.service === undefined) throw new Refused('the redis action names neither service nor address');
  const where = `${target.namespace}/${action.service}`;
  const svc = await kube.getService(target.namespace, action.service);
  const r = serviceAddress(svc, where, action.port);
  if (!r.ok) throw new Refused(r.reason);
  return r.address;
}
