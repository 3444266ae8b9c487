/** A webhook sender as Alertmanager is one: keep-alive connections, a bearer token, a timeout. */
import { Agent, request } from 'node:http';

export interface Posted {
  status: number;
  retryAfter: string | undefined;
  body: string;
  /** Date.now() just before the request was written (comparable with the service's and the sandbox's clocks). */
  sentAtMs: number;
  /** Round trip in ms (performance.now based). */
  ms: number;
}

export function keepAliveAgent(maxSockets = 4): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}


export function postJson(url: string, body: Buffer, opts: { agent: Agent; token?: string; timeoutMs?: number }): Promise<Posted> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': body.length };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    const started = performance.now();
    const sentAtMs = Date.now();
    const req = request(url, { method: 'POST', agent: opts.agent, headers, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ra = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(ra) ? ra[0] : ra, body: Buffer.concat(chunks).toString('utf8'), sentAtMs, ms: performance.now() - started });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

export interface PacedResult {
  /** ms from each request's scheduled send time to its response (so queueing in the sender counts too). */
  latencies: number[];
  ok: number;
  statuses: Record<number, number>;
  seconds: number;
}

/**
 * An open-loop sender: one request every 1000/rate ms for `seconds`, whether or not
 * earlier ones were answered (unlike autocannon's overallRate, which lets each
 * connection send its per-second quota back to back at the start of every second).
 */
export async function paced(url: string, body: Buffer, opts: { rate: number; seconds: number; token?: string; connections: number; onResponse?: (p: Posted) => void }): Promise<PacedResult> {
  const agent = keepAliveAgent(opts.connections);
  const total = Math.max(1, Math.round(opts.rate * opts.seconds));
  const gap = 1000 / opts.rate;
  const out: PacedResult = { latencies: [], ok: 0, statuses: {}, seconds: 0 };
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i < total; i++) {
      const due = t0 + i * gap;
      const wait = due - performance.now();
      if (wait > 0.5) await new Promise((r) => setTimeout(r, wait));
      pending.push(
        postJson(url, body, { agent, ...(opts.token ? { token: opts.token } : {}) }).then((p) => {
          out.latencies.push(performance.now() - due);
          out.statuses[p.status] = (out.statuses[p.status] ?? 0) + 1;
          if (p.status >= 200 && p.status < 300) out.ok++;
          opts.onResponse?.(p);
        }),
      );
    }
    await Promise.all(pending);
    out.seconds = (performance.now() - t0) / 1000;
    return out;
  } finally {
    agent.destroy();
  }
}

export async function getJson<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
