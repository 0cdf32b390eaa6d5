import type { Referrer } from './types';

/// A non-2xx answer of the API, parsed from `{"error": {code, message, field}, referrers?}`.
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  readonly referrers: Referrer[] | undefined;
  /** Seconds, from the Retry-After header (429). */
  readonly retryAfter: number | undefined;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    field?: string | null;
    referrers?: Referrer[];
    retryAfter?: number;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.field = init.field ?? null;
    this.referrers = init.referrers;
    this.retryAfter = init.retryAfter;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.round((date - Date.now()) / 1000));
}

/// Reads the error body of `response`; a body that is not the documented shape still gives
/// an ApiError with the HTTP status, so callers never see a raw Response.
export async function toApiError(response: Response): Promise<ApiError> {
  let body: unknown = undefined;
  try {
    body = await response.clone().json();
  } catch {
    body = undefined;
  }
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  const err = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  // The docs put `referrers` inside `error`; accept it at the top level too.
  const referrers = (
    Array.isArray(err?.referrers)
      ? err.referrers
      : isRecord(body) && Array.isArray(body.referrers)
        ? body.referrers
        : undefined
  ) as Referrer[] | undefined;
  return new ApiError({
    status: response.status,
    code: typeof err?.code === 'string' ? err.code : `http_${response.status}`,
    message:
      typeof err?.message === 'string'
        ? err.message
        : `${response.status} ${response.statusText || 'request failed'}`,
    field: typeof err?.field === 'string' ? err.field : null,
    ...(referrers ? { referrers } : {}),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
  });
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
