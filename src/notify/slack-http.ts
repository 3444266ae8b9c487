/**
 * The HTTP calls to Slack: one POST to an incoming webhook, or one Web API
 * method. Each call is classified where it happens (retry.ts). The webhook URL
 * and the bot token stay inside this file: no error, log or result carries
 * them, and axios errors (whose config holds both) are reduced to their code.
 */
import type { AxiosInstance } from 'axios';
import { axiosErrorCode, lazyAxios } from '../platform/lazy-axios.js';
import { classifyTransportError, classifyWebApi, classifyWebhook, type Delivery, type RawResponse } from './retry.js';

export type WebApiMethod = 'chat.postMessage' | 'chat.update';

/** One Slack call, already classified. Never throws. */
export interface SlackTransport {
  /** Where calls go, for logs: "Slack webhook" or "Slack chat.update"; never a URL. */
  describe(method?: WebApiMethod): string;
  webhook(payload: unknown): Promise<Delivery>;
  webApi(method: WebApiMethod, payload: unknown): Promise<Delivery>;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface SlackHttpOptions {
  timeoutMs: number;
  webhookUrl?: string;
  botToken?: string;
  apiBaseUrl?: string;
  /** For Retry-After given as a date. */
  now?: () => number;
}

/** The axios-backed transport. */
export class SlackHttp implements SlackTransport {
  private readonly http: () => Promise<AxiosInstance>;
  private readonly now: () => number;

  constructor(private readonly opts: SlackHttpOptions) {
    this.now = opts.now ?? Date.now;
    this.http = lazyAxios({
      timeout: opts.timeoutMs,
      // Every status is sorted by the classifier; redirects are not followed (a moved webhook is a configuration error).
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: MAX_RESPONSE_BYTES,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
    });
  }

  describe(method?: WebApiMethod): string {
    return method ? `Slack ${method}` : 'Slack webhook';
  }

  async webhook(payload: unknown): Promise<Delivery> {
    if (!this.opts.webhookUrl) return { ok: false, retryable: false, reason: 'client_error', detail: 'no Slack webhook configured', retryAfterMs: null };
    const res = await this.post(this.opts.webhookUrl, payload, undefined);
    return 'status' in res ? classifyWebhook(res, this.now()) : res;
  }

  async webApi(method: WebApiMethod, payload: unknown): Promise<Delivery> {
    if (!this.opts.botToken || !this.opts.apiBaseUrl) return { ok: false, retryable: false, reason: 'client_error', detail: 'no Slack bot token configured', retryAfterMs: null };
    const res = await this.post(`${this.opts.apiBaseUrl}/${method}`, payload, this.opts.botToken);
    return 'status' in res ? classifyWebApi(res, this.now()) : res;
  }

  private async post(url: string, payload: unknown, token: string | undefined): Promise<RawResponse | Delivery> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      const res = await (await this.http()).post<string>(url, JSON.stringify(payload), { headers });
      const retryAfter: unknown = res.headers['retry-after'];
      return { status: res.status, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, body: typeof res.data === 'string' ? res.data : '' };
    } catch (err) {
      return classifyTransportError(axiosErrorCode(err));
    }
  }
}
