/**
 * A Prometheus instant-query provider that never throws: a transport error, an
 * error answer, an empty result or NaN is a measurement error with a message.
 */
import { Agent } from 'node:https';
import type { AxiosInstance } from 'axios';
import { lazyAxios } from '../platform/lazy-axios.js';
import { NO_CLIENT_OPTIONS, TokenFile, type PrometheusClientOptions } from './prometheus-client.js';

export type QueryResult = { ok: true; value: number } | { ok: false; error: string };

export interface MetricsSource {
  /** An instant query, evaluated now or, with `at`, at that instant (Prometheus's `time=`). */
  query(promql: string, at?: Date): Promise<QueryResult>;
}

interface PromResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: 'scalar' | 'vector' | 'matrix' | 'string'; result: unknown };
}

export class PrometheusSource implements MetricsSource {
  private readonly http: () => Promise<AxiosInstance>;
  private readonly tokenFile: TokenFile | null;

  constructor(
    baseUrl: string,
    timeoutMs = 10_000,
    private readonly client: PrometheusClientOptions = NO_CLIENT_OPTIONS,
  ) {
    const tls = client.ca !== null || client.insecureSkipVerify;
    this.http = lazyAxios({
      baseURL: baseUrl.replace(/\/$/, ''),
      timeout: timeoutMs,
      validateStatus: () => true,
      headers: { ...client.headers },
      ...(tls ? { httpsAgent: new Agent({ keepAlive: true, rejectUnauthorized: !client.insecureSkipVerify, ...(client.ca !== null ? { ca: client.ca } : {}) }) } : {}),
    });
    this.tokenFile = client.auth.kind === 'bearer-file' ? new TokenFile(client.auth.file) : null;
  }

  /** The Authorization header of this request; a token file is read again when it changed. */
  private async authorization(): Promise<string | undefined> {
    const auth = this.client.auth;
    switch (auth.kind) {
      case 'none':
        return undefined;
      case 'bearer':
        return `Bearer ${auth.token}`;
      case 'bearer-file':
        return `Bearer ${await this.tokenFile!.read()}`;
      case 'basic':
        return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    }
  }

  async query(promql: string, at?: Date): Promise<QueryResult> {
    let authorization: string | undefined;
    try {
      authorization = await this.authorization();
    } catch (err) {
      return { ok: false, error: `PROMETHEUS_BEARER_TOKEN_FILE: cannot read the token: ${(err as Error).message}` };
    }
    let res;
    try {
      res = await (await this.http()).get<PromResponse>('/api/v1/query', { params: { query: promql, ...(at ? { time: (at.getTime() / 1000).toFixed(3) } : {}) }, ...(authorization ? { headers: { Authorization: authorization } } : {}) });
    } catch (err) {
      return { ok: false, error: `Prometheus unreachable: ${(err as Error).message}` };
    }
    const body = res.data;
    if (res.status === 401 || res.status === 403) {
      return { ok: false, error: `Prometheus answered ${res.status}: the credentials were refused or missing (PROMETHEUS_BEARER_TOKEN, PROMETHEUS_BEARER_TOKEN_FILE or PROMETHEUS_BASIC_AUTH)` };
    }
    if (res.status !== 200 || body?.status !== 'success') {
      return { ok: false, error: `Prometheus answered ${res.status}: ${body?.error ?? 'no error text'}` };
    }
    return parseResult(body.data);
  }
}

export function parseResult(data: PromResponse['data']): QueryResult {
  if (!data) return { ok: false, error: 'no data in the answer' };
  let raw: unknown;
  if (data.resultType === 'scalar') raw = (data.result as [number, string])[1];
  else if (data.resultType === 'vector') {
    const series = data.result as Array<{ value: [number, string] }>;
    if (series.length === 0) return { ok: false, error: 'the query returned no data (empty vector)' };
    if (series.length > 1) return { ok: false, error: `the query returned ${series.length} series; it must return one (aggregate it, e.g. sum(...) or max(...))` };
    raw = series[0]!.value[1];
  } else return { ok: false, error: `unsupported result type ${data.resultType}; use an instant vector or scalar` };
  const value = Number(raw);
  if (Number.isNaN(value)) return { ok: false, error: 'the query returned NaN' };
  return { ok: true, value };
}
