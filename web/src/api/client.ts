import createClient, { type Middleware } from 'openapi-fetch';
import { toApiError } from './errors';
import type { Paths } from './types';

const SESSION_PATH = '/api/v1/session';

// The CSRF token of the current session. Kept in memory only: a reload gets it again from
// GET /api/v1/session, which the HttpOnly cookie authenticates.
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type UnauthorizedHandler = () => void;
function defaultUnauthorized(): void {
  const here = window.location.pathname + window.location.search;
  if (window.location.pathname !== '/sign-in') {
    window.location.assign(`/sign-in?next=${encodeURIComponent(here)}`);
  }
}
let onUnauthorized: UnauthorizedHandler = defaultUnauthorized;
/// The app installs a handler that navigates inside the router instead of reloading.
export function setUnauthorizedHandler(handler: UnauthorizedHandler | null): void {
  onUnauthorized = handler ?? defaultUnauthorized;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const consoleMiddleware: Middleware = {
  onRequest({ request }) {
    if (!SAFE_METHODS.has(request.method.toUpperCase()) && csrfToken) {
      request.headers.set('X-CSRF-Token', csrfToken);
    }
    return request;
  },
  async onResponse({ request, response }) {
    if (response.ok) return response;
    const error = await toApiError(response);
    if (response.status === 401 && new URL(request.url).pathname !== SESSION_PATH) {
      onUnauthorized();
    }
    throw error;
  },
};

/// openapi-fetch calls fetch with one Request.
export type RequestFetch = (input: Request) => Promise<Response>;

export function createApiClient(options: { fetch?: RequestFetch; baseUrl?: string } = {}) {
  const client = createClient<Paths>({
    baseUrl: options.baseUrl ?? globalThis.location?.origin ?? '',
    credentials: 'same-origin',
    // Looked up on every call, so that tests can stub the global fetch after import.
    fetch: options.fetch ?? ((input: Request) => globalThis.fetch(input)),
  });
  client.use(consoleMiddleware);
  return client;
}

export const api = createApiClient();
export type ApiClient = typeof api;

/// Resolves to the body of a successful answer: every failure was already thrown by the
/// middleware as an ApiError.
export async function data<T>(request: Promise<{ data?: T }>): Promise<T> {
  const result = await request;
  return result.data as T;
}
