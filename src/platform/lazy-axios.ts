/**
 * An axios instance created on first use. axios (~20 MiB of RSS with its
 * dependencies) is loaded only by a process that actually calls Slack or
 * Prometheus, not by every start.
 */
import type { AxiosInstance, CreateAxiosDefaults } from 'axios';

export function lazyAxios(config: CreateAxiosDefaults): () => Promise<AxiosInstance> {
  let instance: Promise<AxiosInstance> | undefined;
  return () => (instance ??= import('axios').then((m) => m.default.create(config)));
}

/** The `code` of an axios error (ECONNREFUSED, ECONNABORTED, ...), without loading axios to ask. */
export function axiosErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || (err as { isAxiosError?: unknown }).isAxiosError !== true) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
