import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import MyProfile from '../me/profile';
import { ForwardingSection } from './ForwardingForm';
import { adminUser, json, mockApi, renderPage, sessionFor } from '../../test/render';

afterEach(() => vi.unstubAllGlobals());

const none = { always: null, busy: null, no_answer: null, no_answer_s: 20 };
const users = [
  { id: 1, name: 'Ada Admin', extension: '1001' },
  { id: 4, name: 'Dev Patel', extension: '1004' },
];

function statusOf(status: string) {
  return { user_id: adminUser.id, status, reason: null, paused_in_groups: [], live: null };
}

describe('Call forwarding', () => {
  it('sets forwarding on My profile: busy to a number, no answer to a user after 10 s', async () => {
    let stored: unknown = none;
    const requests = mockApi({
      'GET /api/v1/users/1/status': () => json(200, statusOf('available')),
      'GET /api/v1/users/1/forwarding': () => json(200, stored),
      'PUT /api/v1/users/1/forwarding': async (request) => {
        stored = await request.json();
        return json(200, stored);
      },
      'GET /api/v1/users': () => json(200, { items: users, next_cursor: null }),
      'GET /api/v1/users/4': () => json(200, users[1]),
    });
    const user = userEvent.setup();
    renderPage(<MyProfile />);
    const busy = await screen.findByRole('group', { name: 'When busy' });
    // Voicemail and hang-up do not carry a call on: not offered.
    expect(within(busy).queryByRole('option', { name: 'Voicemail' })).toBeNull();
    expect(within(busy).queryByRole('option', { name: 'Hang up' })).toBeNull();
    await user.selectOptions(within(busy).getByLabelText('Send calls to'), 'number');
    await user.type(within(busy).getByLabelText('Number'), '+4930123');

    const noAnswer = screen.getByRole('group', { name: 'When not answered' });
    await user.selectOptions(within(noAnswer).getByLabelText('Send calls to'), 'user');
    await user.type(within(noAnswer).getByRole('combobox', { name: 'User' }), 'de');
    const option = await screen.findByRole('option', { name: /Dev Patel/ });
    // A user cannot forward to itself: it is not offered.
    expect(screen.queryByRole('option', { name: /Ada Admin/ })).toBeNull();
    await user.click(option);
    const seconds = screen.getByRole('spinbutton', { name: /Not answered after/ });
    await user.clear(seconds);
    await user.type(seconds, '10');

    await user.click(screen.getByRole('button', { name: 'Save forwarding' }));
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
    expect(requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([
      {
        always: null,
        busy: { type: 'number', number: '+4930123' },
        no_answer: { type: 'user', id: 4 },
        no_answer_s: 10,
      },
    ]);
  });

  it('checks the delay before sending and shows the API error beside its destination', async () => {
    const requests = mockApi({
      'GET /api/v1/users/1/forwarding': () => json(200, none),
      'PUT /api/v1/users/1/forwarding': () =>
        json(400, {
          error: { code: 'invalid', message: 'no user with id 9', field: 'always.id' },
        }),
    });
    const user = userEvent.setup();
    renderPage(<ForwardingSection userId={1} readOnly={false} />);
    const seconds = await screen.findByRole('spinbutton', { name: /Not answered after/ });
    await user.clear(seconds);
    await user.type(seconds, '2');
    await user.click(screen.getByRole('button', { name: 'Save forwarding' }));
    expect(await screen.findByText('Ring for 5–300 seconds')).toBeInTheDocument();
    expect(requests.filter((r) => r.method === 'PUT')).toHaveLength(0);

    await user.clear(seconds);
    await user.type(seconds, '30');
    const always = screen.getByRole('group', { name: 'Always' });
    await user.selectOptions(within(always).getByLabelText('Send calls to'), 'number');
    await user.type(within(always).getByLabelText('Number'), '0301234');
    await user.click(screen.getByRole('button', { name: 'Save forwarding' }));
    await waitFor(() => expect(requests.filter((r) => r.method === 'PUT')).toHaveLength(1));
    expect(await within(always).findByRole('alert')).toHaveTextContent('no user with id 9');
  });

  it('is read-only for someone who may not change it', async () => {
    mockApi({
      'GET /api/v1/users/4/forwarding': () =>
        json(200, { ...none, always: { type: 'number', number: '+4930123' } }),
    });
    renderPage(<ForwardingSection userId={4} readOnly />, {
      session: sessionFor({ ...adminUser, role: 'supervisor' }, 'supervisor'),
    });
    expect(await screen.findByDisplayValue('+4930123')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Save forwarding' })).toBeNull();
    expect(screen.getByDisplayValue('+4930123')).toBeDisabled();
  });
});
