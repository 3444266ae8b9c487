/**
 * Keep-alive connections for @kubernetes/client-node 1.x. Its KubeConfig builds a
 * new http(s).Agent for every request (applySecurityAuthentication), so every call
 * opens a new TCP (and TLS) connection. This wraps the KubeConfig as the clients'
 * auth method: the KubeConfig still sets the headers and the TLS options of each
 * request, and the fresh agent it made is swapped for a kept-alive one with the
 * same options, made once per distinct set of options (so rotated client
 * certificates get a new agent). Proxy agents are left as they are.
 */
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/** The TLS and connection options that make two agents interchangeable. */
const KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

function optionsKey(kind: string, options: Record<string, unknown>): string {
  const h = createHash('sha256').update(kind);
  for (const k of KEYS) {
    const v = options[k];
    h.update(`\0${k}=`);
    if (v === undefined) continue;
    if (Buffer.isBuffer(v) || typeof v === 'string') h.update(v);
    else h.update(JSON.stringify(v) ?? typeof v);
  }
  return h.digest('hex');
}

/** What client-node asks of an auth method. Idle kept-alive sockets are unref'd: they never hold the process open. */
export interface KeepAliveAuth {
  getName(): string;
  applySecurityAuthentication(context: RequestContext): Promise<void>;
}

export function keepAliveAuth(kc: KubeConfig, maxSockets = 32): KeepAliveAuth {
  const agents = new Map<string, http.Agent>();
  return {
    getName: () => 'kubeconfig authentication, kept-alive connections',
    async applySecurityAuthentication(context) {
      await kc.applySecurityAuthentication(context);
      const made = context.getAgent();
      // Only the plain agents client-node makes itself; a proxy agent has its own pooling.
      const kind = made instanceof https.Agent ? 'https' : made?.constructor === http.Agent ? 'http' : null;
      if (!kind || !made) return;
      const options = (made as http.Agent & { options?: Record<string, unknown> }).options ?? {};
      const key = optionsKey(kind, options);
      let agent = agents.get(key);
      if (!agent) {
        const kept = { ...options, keepAlive: true, maxSockets, scheduling: 'lifo' as const };
        agent = kind === 'https' ? new https.Agent(kept) : new http.Agent(kept);
        agents.set(key, agent);
      }
      made.destroy();
      context.setAgent(agent);
    },
  };
}
