/**
 * One HTTP error class and one error handler. Error bodies are short and carry no
 * secrets: Alertmanager copies a non-2xx body into its own log.
 */
import type { ErrorRequestHandler } from 'express';
import { NotFoundError, StateChangedError, WrongPhaseError } from '../domain/errors.js';
import type { Logger } from '../platform/logger.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { field?: string; headers?: Record<string, string>; /** Extra top-level fields of the body (e.g. `reason`). */ body?: Record<string, unknown> },
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** body-parser / raw-body error types mapped to our statuses. */
function fromParserError(err: { type?: string; status?: number; message: string }): HttpError | null {
  switch (err.type) {
    case 'entity.too.large':
      return new HttpError(413, 'body-too-large', 'request body is larger than MAX_BODY_BYTES');
    case 'entity.parse.failed':
      return new HttpError(400, 'malformed-json', `body is not valid JSON: ${err.message}`);
    case 'request.aborted':
      return new HttpError(400, 'aborted', 'request aborted by the client');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported-encoding', err.message);
    default:
      break;
  }
  // A corrupt gzip/deflate/br body: zlib's error reaches here, the client's fault.
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code.startsWith('ERR__ERROR_FORMAT'))) {
    return new HttpError(400, 'malformed-body', 'the compressed body could not be decompressed (Content-Encoding does not match the body)');
  }
  // A malformed %-escape in the URL (decoding a route parameter).
  if (err instanceof URIError) return new HttpError(400, 'malformed-url', `the URL has a malformed %-escape: ${err.message}`);
  return null;
}

/** The core's errors in HTTP terms: the one place they are mapped. */
function fromDomainError(err: unknown): HttpError | null {
  if (err instanceof NotFoundError) return new HttpError(404, err.code, err.message);
  if (err instanceof WrongPhaseError) return new HttpError(409, err.code, err.message);
  if (err instanceof StateChangedError) return new HttpError(409, err.code, err.message);
  return null;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const e = err as { type?: string; status?: number; message: string };
    const httpErr = err instanceof HttpError ? err : (fromDomainError(err) ?? fromParserError(e));
    if (!httpErr) {
      logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
      res.status(500).json({ error: { code: 'internal', message: 'internal error; see the service log' } });
      return;
    }
    for (const [k, v] of Object.entries(httpErr.details?.headers ?? {})) res.setHeader(k, v);
    res.status(httpErr.status).json({ ...(httpErr.details?.body ?? {}), error: { code: httpErr.code, message: httpErr.message, ...(httpErr.details?.field ? { field: httpErr.details.field } : {}) } });
  };
}
