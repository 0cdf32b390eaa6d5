import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApiClient, setCsrfToken, setUnauthorizedHandler } from './client';
import { ApiError } from './errors';
import { apiFieldToFormPath, applyApiError } from './forms';

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

function recordingClient(answer: () => Response) {
  const requests: Request[] = [];
  const client = createApiClient({
    baseUrl: 'http://console.test',
    fetch: (input: Request) => {
      requests.push(input);
      return Promise.resolve(answer());
    },
  });
  return { client, requests };
}

afterEach(() => {
  setCsrfToken(null);
  setUnauthorizedHandler(null);
});

describe('api client', () => {
  it('adds X-CSRF-Token on mutations and not on GET', async () => {
    setCsrfToken('tok-123');
    const { client, requests } = recordingClient(() => json(200, { items: [], next_cursor: null }));
    await client.GET('/api/v1/users', { params: { query: { q: 'ana' } } });
    await client.PATCH('/api/v1/users/{id}', {
      params: { path: { id: 3 } },
      body: { active: false },
    });
    await client.DELETE('/api/v1/users/{id}', { params: { path: { id: 3 } } });

    expect(requests[0]!.method).toBe('GET');
    expect(requests[0]!.headers.get('X-CSRF-Token')).toBeNull();
    expect(new URL(requests[0]!.url).searchParams.get('q')).toBe('ana');
    expect(requests[1]!.headers.get('X-CSRF-Token')).toBe('tok-123');
    expect(requests[2]!.headers.get('X-CSRF-Token')).toBe('tok-123');
    expect(requests[1]!.credentials).toBe('same-origin');
  });

  it('throws an ApiError with code, message and a dotted field', async () => {
    const { client } = recordingClient(() =>
      json(400, { error: { code: 'invalid', message: 'no user 99', field: 'fallback.id' } }),
    );
    const err = await client
      .PATCH('/api/v1/groups/{id}', { params: { path: { id: 1 } }, body: { name: 'x' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 400,
      code: 'invalid',
      message: 'no user 99',
      field: 'fallback.id',
    });
  });

  it('reads referrers of a refused delete and Retry-After', async () => {
    const referrers = [{ kind: 'group', id: 5, name: 'Overflow', field: 'fallback' }];
    const { client } = recordingClient(() =>
      json(
        409,
        { error: { code: 'conflict', message: 'referenced', field: null, referrers } },
        {
          'Retry-After': '120',
        },
      ),
    );
    const err = (await client
      .DELETE('/api/v1/groups/{id}', { params: { path: { id: 3 } } })
      .catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(409);
    expect(err.referrers).toEqual(referrers);
    expect(err.field).toBeNull();
    expect(err.retryAfter).toBe(120);
  });

  it('sends the user to sign-in on a 401, except for the session routes', async () => {
    const onUnauthorized = vi.fn();
    setUnauthorizedHandler(onUnauthorized);
    const { client } = recordingClient(() =>
      json(401, { error: { code: 'unauthorized', message: 'no session', field: null } }),
    );
    await expect(client.GET('/api/v1/users')).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await expect(client.GET('/api/v1/session')).rejects.toMatchObject({ status: 401 });
    await expect(
      client.POST('/api/v1/session', { body: { email: 'a@b.c', password: 'x' } }),
    ).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('gives an ApiError even for a body that is not JSON', async () => {
    const { client } = recordingClient(() => new Response('bad gateway', { status: 502 }));
    await expect(client.GET('/api/v1/users')).rejects.toMatchObject({
      status: 502,
      code: 'http_502',
    });
  });
});

describe('applyApiError', () => {
  it('maps dotted and indexed API fields to form paths', () => {
    expect(apiFieldToFormPath('patterns[1]')).toBe('patterns.1');
    expect(apiFieldToFormPath('fallback.id')).toBe('fallback.id');
    expect(apiFieldToFormPath('group_ids[2].x')).toBe('group_ids.2.x');
  });

  it('sets the error on the named field, or returns a banner message', () => {
    const setError = vi.fn();
    const fieldErr = new ApiError({
      status: 409,
      code: 'conflict',
      message: 'taken',
      field: 'extension',
    });
    expect(applyApiError(fieldErr, setError, ['name', 'extension'])).toBeNull();
    expect(setError).toHaveBeenCalledWith(
      'extension',
      { type: 'server', message: 'taken' },
      { shouldFocus: true },
    );

    const nested = new ApiError({
      status: 400,
      code: 'invalid',
      message: 'gone',
      field: 'fallback.id',
    });
    setError.mockClear();
    expect(applyApiError(nested, setError, ['fallback'])).toBeNull();
    expect(setError.mock.calls[0]![0]).toBe('fallback');

    const other = new ApiError({ status: 400, code: 'invalid', message: 'odd', field: 'nmae' });
    setError.mockClear();
    expect(applyApiError(other, setError, ['name'])).toBe('odd');
    expect(setError).not.toHaveBeenCalled();
  });
});
