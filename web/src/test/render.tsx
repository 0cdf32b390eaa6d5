import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { vi } from 'vitest';
import { setCsrfToken } from '../api/client';
import type { Session, User } from '../api/types';
import { SessionProvider } from '../auth/session';

export function json(status: number, body?: unknown, headers: Record<string, string> = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

type Handler = (request: Request, url: URL) => Response | Promise<Response>;

/// Stubs the global fetch: `handlers['GET /api/v1/users']`. Unhandled requests fail the test
/// loudly with a 599. Returns the list of requests seen.
export function mockApi(handlers: Record<string, Handler>) {
  const requests: { method: string; url: URL; body: unknown; headers: Headers }[] = [];
  const fetchMock = vi.fn(async (input: Request) => {
    const url = new URL(input.url);
    const text = input.method === 'GET' ? '' : await input.clone().text();
    let body: unknown = undefined;
    if (text) {
      // A JSON body parsed; anything else (an uploaded WAV) as its text.
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
    }
    requests.push({ method: input.method, url, body, headers: input.headers });
    const handler = handlers[`${input.method} ${url.pathname}`];
    if (!handler) {
      return json(599, {
        error: {
          code: 'internal',
          message: `unmocked ${input.method} ${url.pathname}`,
          field: null,
        },
      });
    }
    return handler(input, url);
  });
  vi.stubGlobal('fetch', fetchMock);
  return requests;
}

export const adminUser: User = {
  id: 1,
  name: 'Ada Admin',
  email: 'ada@example.com',
  extension: '1001',
  caller_id: null,
  role: 'admin',
  active: true,
  paused: false,
  pause_reason: null,
  dnd: false,
  forwarding: { always: null, busy: null, no_answer: null, no_answer_s: 20 },
  has_sip_password: true,
  has_password: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

export function sessionFor(user: User | null, role: User['role'] = 'admin'): Session {
  return {
    user,
    role,
    bootstrap: user === null,
    csrf_token: 'csrf-test',
    expires_at: '2030-01-01T00:00:00Z',
  };
}

export function renderPage(
  ui: ReactElement,
  options: { session?: Session | null; path?: string; route?: string } = {},
) {
  const session = options.session === undefined ? sessionFor(adminUser) : options.session;
  setCsrfToken(session?.csrf_token ?? null);
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  return render(
    <QueryClientProvider client={queryClient}>
      <SessionProvider initial={session}>
        <MemoryRouter initialEntries={[options.path ?? '/']}>
          <Routes>
            <Route path={options.route ?? '*'} element={ui} />
            <Route path="/sign-in" element={<p>sign-in page</p>} />
          </Routes>
        </MemoryRouter>
      </SessionProvider>
    </QueryClientProvider>,
  );
}
