import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { adminUser, json, mockApi, renderPage, sessionFor } from '../../test/render';
import VoicemailPage from '.';

afterEach(() => vi.unstubAllGlobals());

const agent = { ...adminUser, id: 7, name: 'Chloe Martin', role: 'agent' as const };

function message(id: number, heard: boolean) {
  return {
    id,
    box: 'group' as const,
    box_id: 3,
    caller: { number: `415555000${id}`, name: `Caller ${id}` },
    called: '2999',
    group: 3,
    started_at: '2026-11-22T14:25:02Z',
    duration_ms: 4200,
    heard,
    call_id: `c${id}`,
  };
}

function api(store: { items: ReturnType<typeof message>[] }) {
  return mockApi({
    'GET /api/v1/users/7/groups': () =>
      json(200, {
        items: [
          {
            group_id: 3,
            name: 'Shut Desk',
            position: 1,
            joined_at: '2026-01-01T00:00:00Z',
            paused: false,
            pause_reason: null,
          },
        ],
        next_cursor: null,
      }),
    'GET /api/v1/groups/3': () => json(200, { id: 3, name: 'Shut Desk' }),
    'GET /api/v1/voicemails': (_req, url) =>
      url.searchParams.get('cursor') === 'p2'
        ? json(200, { items: [message(9, true)], next_cursor: null })
        : json(200, {
            items: store.items.filter((m) => url.searchParams.get('heard') !== 'false' || !m.heard),
            next_cursor: 'p2',
          }),
    'PATCH /api/v1/voicemails/5': async (req) => {
      const body = (await req.json()) as { heard: boolean };
      store.items = store.items.map((m) => (m.id === 5 ? { ...m, heard: body.heard } : m));
      return json(
        200,
        store.items.find((m) => m.id === 5),
      );
    },
    'DELETE /api/v1/voicemails/5': () => {
      store.items = store.items.filter((m) => m.id !== 5);
      return new Response(null, { status: 204 });
    },
  });
}

describe('Voicemail', () => {
  it("lists the messages with a player of each message's audio", async () => {
    api({ items: [message(5, false)] });
    renderPage(<VoicemailPage />, { session: sessionFor(agent, 'agent'), path: '/voicemail' });
    const table = await screen.findByRole('table', { name: 'Messages' });
    const row = within(table).getByRole('row', { name: /Caller 5/ });
    expect(row).toHaveTextContent('Caller 5 (4155550005)');
    expect(row).toHaveTextContent('2999');
    expect(row).toHaveTextContent('4 s');
    expect(row).toHaveTextContent('New');
    await waitFor(() => expect(row).toHaveTextContent('Group Shut Desk'));
    expect(row.querySelectorAll('td')[3]).toHaveTextContent(/^Shut Desk$/);
    const player = row.querySelector('audio')!;
    expect(player).toHaveAttribute('src', '/api/v1/voicemails/5/audio');
    expect(player).toHaveAttribute('controls');
  });

  it('offers the own mailbox and each of its groups, and asks the API for the one chosen', async () => {
    const requests = api({ items: [message(5, false)] });
    const user = userEvent.setup();
    renderPage(<VoicemailPage />, { session: sessionFor(agent, 'agent'), path: '/voicemail' });
    await screen.findByRole('table', { name: 'Messages' });
    const mailbox = screen.getByLabelText('Mailbox');
    await screen.findByRole('option', { name: 'Group: Shut Desk' });
    expect(
      within(mailbox)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['All my mailboxes', 'My voicemail', 'Group: Shut Desk']);
    await user.selectOptions(mailbox, 'group-3');
    await user.click(screen.getByLabelText('Unheard only'));
    await waitFor(() => {
      const last = requests.filter((r) => r.url.pathname === '/api/v1/voicemails').at(-1)!;
      expect(Object.fromEntries(last.url.searchParams)).toMatchObject({
        box: 'group',
        id: '3',
        heard: 'false',
      });
    });
    await user.selectOptions(mailbox, 'user-7');
    await waitFor(() => {
      const last = requests.filter((r) => r.url.pathname === '/api/v1/voicemails').at(-1)!;
      expect(last.url.searchParams.get('box')).toBe('user');
      expect(last.url.searchParams.get('id')).toBe('7');
    });
  });

  it('pages by the next_cursor of the answer', async () => {
    const requests = api({ items: [message(5, false)] });
    const user = userEvent.setup();
    renderPage(<VoicemailPage />, { session: sessionFor(agent, 'agent'), path: '/voicemail' });
    await screen.findByRole('row', { name: /Caller 5/ });
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByRole('row', { name: /Caller 9/ })).toBeVisible();
    expect(requests.at(-1)!.url.searchParams.get('cursor')).toBe('p2');
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
  });

  it('marks heard and unheard through PATCH', async () => {
    const requests = api({ items: [message(5, false)] });
    const user = userEvent.setup();
    renderPage(<VoicemailPage />, { session: sessionFor(agent, 'agent'), path: '/voicemail' });
    await user.click(await screen.findByRole('button', { name: /^Mark heard/ }));
    expect(await screen.findByRole('button', { name: /^Mark unheard/ })).toBeVisible();
    expect(requests.filter((r) => r.method === 'PATCH').map((r) => r.body)).toEqual([
      { heard: true },
    ]);
    await user.click(screen.getByRole('button', { name: /^Mark unheard/ }));
    expect(await screen.findByRole('button', { name: /^Mark heard/ })).toBeVisible();
    expect(requests.filter((r) => r.method === 'PATCH').at(-1)!.body).toEqual({ heard: false });
  });

  it('deletes only after the confirmation', async () => {
    const requests = api({ items: [message(5, false)] });
    const user = userEvent.setup();
    renderPage(<VoicemailPage />, { session: sessionFor(agent, 'agent'), path: '/voicemail' });
    await user.click(
      await screen.findByRole('button', { name: 'Delete message from Caller 5 (4155550005)' }),
    );
    const dialog = screen.getByRole('alertdialog', { name: 'Delete this message?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: /^Delete message from Caller 5/ }));
    await user.click(
      within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete message' }),
    );
    await waitFor(() => expect(screen.queryByRole('row', { name: /Caller 5/ })).toBeNull());
    expect(requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect(screen.getByText('No messages.')).toBeVisible();
  });

  it('shows the message a call record links to', async () => {
    api({ items: [] });
    renderPage(<VoicemailPage />, {
      session: sessionFor(agent, 'agent'),
      path: '/voicemail?message=42',
    });
    const linked = await screen.findByRole('region', { name: 'Message 42' });
    expect(linked.querySelector('audio')).toHaveAttribute('src', '/api/v1/voicemails/42/audio');
  });
});
