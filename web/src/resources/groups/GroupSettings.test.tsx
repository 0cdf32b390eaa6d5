import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Group } from '../../api/types';
import { GroupSettings } from './GroupSettings';
import { json, mockApi, renderPage } from '../../test/render';

const sales: Group = {
  id: 3,
  name: 'Sales Dept',
  description: '',
  extension: '600',
  outbound_caller_id: '010000',
  trunk: 1,
  ring_strategy: 'simultaneous',
  ring_timeout_s: 20,
  max_wait_s: 120,
  wrap_up_s: 0,
  ring_in_use: false,
  skip_unregistered: true,
  fallback: null,
  schedule: null,
  closed_destination: null,
  cti_scope: false,
  auto_pause_after: 0,
  auto_pause_unreachable: false,
  auto_pause_scope: 'group',
  waiting_mode: 'ringback',
  announce_position_every_s: 0,
  member_count: 2,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

const lists = {
  'GET /api/v1/trunks': () =>
    json(200, { items: [{ id: 1, name: 'CallCentric' }], next_cursor: null }),
  'GET /api/v1/schedules': () =>
    json(200, { items: [{ id: 4, name: 'Office hours' }], next_cursor: null }),
  'GET /api/v1/groups/3/greeting': () =>
    new Response('RIFF', { headers: { 'X-Cohort-Audio-Source': 'default' } }),
  'GET /api/v1/groups/3/waiting-music': () =>
    new Response('RIFF', { headers: { 'X-Cohort-Audio-Source': 'uploaded' } }),
};

afterEach(() => vi.unstubAllGlobals());

describe('group Settings', () => {
  it('shows a server field error next to that field and keeps what was typed', async () => {
    const requests = mockApi({
      ...lists,
      'PATCH /api/v1/groups/3': () =>
        json(400, {
          error: {
            code: 'invalid',
            message: 'ring_timeout_s must be 5–600 seconds',
            field: 'ring_timeout_s',
          },
        }),
    });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    await user.selectOptions(screen.getByLabelText('Ring strategy'), 'round_robin');
    const timeout = screen.getByLabelText('Ring timeout (seconds)');
    await user.clear(timeout);
    await user.type(timeout, '30');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    const field = timeout.closest('.field') as HTMLElement;
    expect(await within(field).findByText('ring_timeout_s must be 5–600 seconds')).toBeVisible();
    expect(timeout).toHaveAttribute('aria-invalid', 'true');
    // Only the changed fields were sent, as the API's types.
    expect(requests.find((r) => r.method === 'PATCH')!.body).toEqual({
      ring_strategy: 'round_robin',
      ring_timeout_s: 30,
    });
    expect(requests.find((r) => r.method === 'PATCH')!.headers.get('X-CSRF-Token')).toBe(
      'csrf-test',
    );
    expect(timeout).toHaveValue(30);
    expect(screen.getByLabelText('Ring strategy')).toHaveValue('round_robin');
    expect(screen.queryByRole('alert', { name: /ring_timeout/ })).toBeNull();
  });

  it('saves the auto-pause settings as the API types them', async () => {
    const requests = mockApi({
      ...lists,
      'PATCH /api/v1/groups/3': () =>
        json(200, {
          ...sales,
          auto_pause_after: 3,
          auto_pause_unreachable: true,
          auto_pause_scope: 'all',
        }),
    });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    const after = screen.getByLabelText('Auto-pause after missed calls');
    expect(after).toHaveValue(0);
    expect(screen.getByLabelText('Pause when phone unreachable')).not.toBeChecked();
    expect(screen.getByLabelText('Auto-pause applies to')).toHaveValue('group');
    await user.clear(after);
    await user.type(after, '3');
    await user.click(screen.getByLabelText('Pause when phone unreachable'));
    await user.selectOptions(screen.getByLabelText('Auto-pause applies to'), 'All groups');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
    expect(requests.find((r) => r.method === 'PATCH')!.body).toEqual({
      auto_pause_after: 3,
      auto_pause_unreachable: true,
      auto_pause_scope: 'all',
    });
    expect(after).toHaveValue(3);
    expect(screen.getByLabelText('Auto-pause applies to')).toHaveValue('all');
  });

  it('refuses an auto-pause threshold out of range before sending anything', async () => {
    const requests = mockApi({ ...lists });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    const after = screen.getByLabelText('Auto-pause after missed calls');
    await user.clear(after);
    await user.type(after, '101');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const field = after.closest('.field') as HTMLElement;
    expect(
      await within(field).findByText('Auto-pause after is 0–100 missed calls (0: never)'),
    ).toBeVisible();
    expect(requests.some((r) => r.method === 'PATCH')).toBe(false);
  });

  it('puts a server error on auto_pause_scope next to its select', async () => {
    mockApi({
      ...lists,
      'PATCH /api/v1/groups/3': () =>
        json(400, {
          error: {
            code: 'invalid',
            message: 'auto_pause_scope must be group or all',
            field: 'auto_pause_scope',
          },
        }),
    });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    const scope = screen.getByLabelText('Auto-pause applies to');
    await user.selectOptions(scope, 'all');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const field = scope.closest('.field') as HTMLElement;
    expect(await within(field).findByText('auto_pause_scope must be group or all')).toBeVisible();
  });

  it('puts a dotted destination error (fallback.number) on the Fallback routing picker', async () => {
    mockApi({
      ...lists,
      'PATCH /api/v1/groups/3': () =>
        json(400, {
          error: {
            code: 'invalid',
            message: 'number must be 1–32 digits',
            field: 'fallback.number',
          },
        }),
    });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    const fallback = screen.getByRole('group', { name: 'Fallback routing' });
    await user.selectOptions(within(fallback).getByLabelText('Send calls to'), 'number');
    await user.type(within(fallback).getByLabelText('Number'), '+15551234');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await within(fallback).findByText('number must be 1–32 digits')).toBeInTheDocument();
    const closed = screen.getByRole('group', { name: 'Closed destination' });
    expect(within(closed).queryByText('number must be 1–32 digits')).toBeNull();
  });

  it('shows an error that names no field in the form banner', async () => {
    mockApi({
      ...lists,
      'PATCH /api/v1/groups/3': () =>
        json(503, { error: { code: 'unavailable', message: 'the store is busy', field: null } }),
    });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    await user.clear(screen.getByLabelText('Group Name'));
    await user.type(screen.getByLabelText('Group Name'), 'Sales');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('the store is busy');
    expect(screen.getByLabelText('Group Name')).toHaveValue('Sales');
  });
  it('waiting for the group: its music, Waiting mode and Announce position every (s)', async () => {
    const requests = mockApi({
      ...lists,
      'PATCH /api/v1/groups/3': () =>
        json(200, { ...sales, waiting_mode: 'answer', announce_position_every_s: 45 }),
    });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    const waiting = screen.getByRole('group', { name: 'Waiting for the group' });
    const music = within(waiting).getByRole('group', { name: 'Waiting music' });
    expect(await within(music).findByText('Uploaded')).toBeVisible();
    expect(music.querySelector('audio')).toHaveAttribute('src', '/api/v1/groups/3/waiting-music');
    expect(within(music).getByRole('button', { name: 'Use built-in music' })).toBeVisible();
    const greeting = screen.getByRole('group', { name: 'Greeting' });
    expect(await within(greeting).findByText('Default greeting')).toBeVisible();

    const mode = within(waiting).getByLabelText('Waiting mode');
    expect(mode).toHaveValue('ringback');
    expect(
      within(mode)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['Ringback', 'Music, early media', 'Music, answered']);
    await user.selectOptions(mode, 'Music, answered');
    const every = within(waiting).getByLabelText('Announce position every (s)');
    await user.clear(every);
    await user.type(every, '45');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
    expect(requests.find((r) => r.method === 'PATCH')!.body).toEqual({
      waiting_mode: 'answer',
      announce_position_every_s: 45,
    });
  });

  it('refuses Announce position every (s) above 600 and shows the API error on waiting_mode', async () => {
    const requests = mockApi({
      ...lists,
      'PATCH /api/v1/groups/3': () =>
        json(400, {
          error: {
            code: 'invalid',
            message: 'waiting_mode must be ringback, early_media or answer',
            field: 'waiting_mode',
          },
        }),
    });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    const every = screen.getByLabelText('Announce position every (s)');
    await user.clear(every);
    await user.type(every, '601');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(
      await within(every.closest('.field') as HTMLElement).findByText(
        'Announce position every is 0–600 seconds',
      ),
    ).toBeVisible();
    expect(requests.some((r) => r.method === 'PATCH')).toBe(false);

    await user.clear(every);
    await user.type(every, '30');
    await user.selectOptions(screen.getByLabelText('Waiting mode'), 'early_media');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const mode = screen.getByLabelText('Waiting mode');
    expect(
      await within(mode.closest('.field') as HTMLElement).findByText(
        'waiting_mode must be ringback, early_media or answer',
      ),
    ).toBeVisible();
  });
});
