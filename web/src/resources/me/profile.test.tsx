import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import MyProfile from './profile';
import { adminUser, json, mockApi, renderPage } from '../../test/render';

afterEach(() => vi.unstubAllGlobals());

function statusOf(status: string) {
  return { user_id: adminUser.id, status, reason: null, paused_in_groups: [], live: null };
}

describe('My profile', () => {
  it('turns do-not-disturb on and off', async () => {
    let current = 'available';
    const requests = mockApi({
      'GET /api/v1/users/1/status': () => json(200, statusOf(current)),
      'GET /api/v1/users/1/forwarding': () =>
        json(200, { always: null, busy: null, no_answer: null, no_answer_s: 20 }),
      'PUT /api/v1/users/1/status': async (request) => {
        current = ((await request.json()) as { status: string }).status;
        return json(200, statusOf(current));
      },
    });
    const user = userEvent.setup();
    renderPage(<MyProfile />);
    expect(await screen.findByText('Available', { selector: 'strong' })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Do not disturb' }));
    expect(await screen.findByText('Do not disturb', { selector: 'strong' })).toBeInTheDocument();
    expect(requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([
      { status: 'dnd' },
    ]);

    await user.click(screen.getByRole('button', { name: 'End do not disturb' }));
    expect(await screen.findByText('Available', { selector: 'strong' })).toBeInTheDocument();
    expect(requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([
      { status: 'dnd' },
      { status: 'available' },
    ]);
  });
});
