/**
 * The two Alertmanager API v2 calls silences need, each classified where it happens
 * (plan.ts). Never throws.
 */
import type { AxiosInstance } from 'axios';
import { axiosErrorCode, lazyAxios } from '../platform/lazy-axios.js';
import { classifyCreate, classifyExpire, classifyTransportError, type PostableSilence, type RawAnswer, type SilenceAnswer } from './plan.js';

/** One Alertmanager's silences API. */
export interface SilenceTransport {
  create(baseUrl: string, silence: PostableSilence): Promise<SilenceAnswer>;
  expire(baseUrl: string, id: string): Promise<SilenceAnswer>;
}

export class AlertmanagerHttp implements SilenceTransport {
  private readonly http: () => Promise<AxiosInstance>;

  constructor(timeoutMs = 5000) {
    this.http = lazyAxios({ timeout: timeoutMs, validateStatus: () => true, maxRedirects: 0, maxContentLength: 1024 * 1024, responseType: 'text', transformResponse: [(d: unknown) => d] });
  }

  async create(baseUrl: string, silence: PostableSilence): Promise<SilenceAnswer> {
    const res = await this.call('post', `${baseUrl}/api/v2/silences`, silence);
    return 'status' in res ? classifyCreate(res) : res;
  }

  async expire(baseUrl: string, id: string): Promise<SilenceAnswer> {
    const res = await this.call('delete', `${baseUrl}/api/v2/silence/${encodeURIComponent(id)}`, undefined);
    return 'status' in res ? classifyExpire(res, id) : res;
  }

  private async call(method: 'post' | 'delete', url: string, body: unknown): Promise<RawAnswer | SilenceAnswer> {
    try {
      const res = await (await this.http()).request<string>({ method, url, data: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'Content-Type': 'application/json' } });
      return { status: res.status, body: typeof res.data === 'string' ? res.data : '' };
    } catch (err) {
      return classifyTransportError(axiosErrorCode(err));
    }
  }
}
