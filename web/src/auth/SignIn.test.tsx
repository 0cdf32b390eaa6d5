import { describe, expect, it, afterEach, vi } from 'vitest';
import { screen, render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { SignIn } from './SignIn';
import { SessionProvider } from './session';
import { adminUser, json, mockApi, sessionFor } from '../test/render';

function renderSignIn(path = '/sign-in') {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <SessionProvider initial={null}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/sign-in" element={<SignIn />} />
            <Route path="/users/*" element={<p>users page</p>} />
            <Route path="/groups/*" element={<p>groups page</p>} />
            <Route path="/me" element={<p>my profile</p>} />
          </Routes>
        </MemoryRouter>
      </SessionProvider>
    </QueryClientProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('sign-in', () => {
  it('signs in with e-mail and password and goes to the page asked for', async () => {
    const requests = mockApi({
      'POST /api/v1/session': () => json(201, sessionFor(adminUser)),
    });
    const user = userEvent.setup();
    renderSignIn('/sign-in?next=%2Fgroups%2F3');
    await user.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('groups page')).toBeInTheDocument();
    expect(requests[0]!.body).toEqual({
      email: 'ada@example.com',
      password: 'correct horse battery',
    });
  });

  it('signs in with an API token (the bootstrap admin)', async () => {
    const requests = mockApi({
      'POST /api/v1/session': () => json(201, sessionFor(null)),
    });
    const user = userEvent.setup();
    renderSignIn();
    await user.click(screen.getByRole('button', { name: 'Sign in with an API token' }));
    await user.type(screen.getByLabelText('API token'), 'cha_0123456789abcdef');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('users page')).toBeInTheDocument();
    expect(requests[0]!.body).toEqual({ token: 'cha_0123456789abcdef' });
  });

  it('says the e-mail or password is wrong on 401 and keeps what was typed', async () => {
    mockApi({
      'POST /api/v1/session': () =>
        json(401, {
          error: { code: 'unauthorized', message: 'wrong e-mail or password', field: null },
        }),
    });
    const user = userEvent.setup();
    renderSignIn();
    await user.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'nope');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong e-mail or password');
    expect(screen.getByLabelText('E-mail')).toHaveValue('ada@example.com');
  });

  it('names the wait in minutes after too many attempts (429 with Retry-After)', async () => {
    mockApi({
      'POST /api/v1/session': () =>
        json(
          429,
          { error: { code: 'too_many_attempts', message: 'too many', field: null } },
          { 'Retry-After': '240' },
        ),
    });
    const user = userEvent.setup();
    renderSignIn();
    await user.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'nope');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Too many failed sign-ins; try again in 4 minutes',
    );
  });

  it('asks for both fields before sending anything', async () => {
    const requests = mockApi({});
    const user = userEvent.setup();
    renderSignIn();
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Enter your e-mail')).toBeInTheDocument();
    expect(requests).toHaveLength(0);
  });
});
