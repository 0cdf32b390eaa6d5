import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  DestinationPicker,
  destinationDraftSchema,
  fromDestination,
  toDestination,
  type DestinationDraft,
} from './DestinationPicker';
import { json, mockApi, renderPage } from '../test/render';

function Harness(props: { initial: DestinationDraft | null; onChange: (d: unknown) => void }) {
  const [value, setValue] = useState(props.initial);
  return (
    <DestinationPicker
      label="Fallback routing"
      noneLabel="None"
      value={value}
      excludeGroups={[9]}
      onChange={(d) => {
        setValue(d);
        props.onChange(d);
      }}
    />
  );
}

const groups = [
  { id: 3, name: 'Sales Dept', extension: '600', member_count: 2 },
  { id: 9, name: 'Sales Night', extension: null, member_count: 0 },
];

afterEach(() => vi.unstubAllGlobals());

describe('DestinationPicker', () => {
  it('picks a group by searching its name on the server', async () => {
    const requests = mockApi({
      'GET /api/v1/groups': () => json(200, { items: groups, next_cursor: null }),
    });
    const onChange = vi.fn();
    const user = userEvent.setup();
    renderPage(<Harness initial={null} onChange={onChange} />);
    const fieldset = screen.getByRole('group', { name: 'Fallback routing' });
    await user.selectOptions(within(fieldset).getByLabelText('Send calls to'), 'group');
    expect(onChange).toHaveBeenLastCalledWith({ type: 'group', id: null });

    await user.type(within(fieldset).getByRole('combobox', { name: 'User group' }), 'sal');
    await waitFor(() =>
      expect(requests.some((r) => r.url.searchParams.get('q') === 'sal')).toBe(true),
    );
    const option = await screen.findByRole('option', { name: /Sales Dept/ });
    // The group itself (id 9) is not offered.
    expect(screen.queryByRole('option', { name: /Sales Night/ })).toBeNull();
    await user.click(option);
    expect(onChange).toHaveBeenLastCalledWith({ type: 'group', id: 3 });
  });

  it('shows the stored choice by name and switches to a number', async () => {
    mockApi({
      'GET /api/v1/users/7': () => json(200, { id: 7, name: 'Elena Rossi' }),
    });
    const onChange = vi.fn();
    const user = userEvent.setup();
    renderPage(<Harness initial={{ type: 'voicemail', box: 'user', id: 7 }} onChange={onChange} />);
    expect(await screen.findByDisplayValue('Elena Rossi')).toBeInTheDocument();
    expect(screen.getByLabelText('Voicemail box of')).toHaveValue('user');

    await user.selectOptions(screen.getByLabelText('Send calls to'), 'number');
    await user.type(screen.getByLabelText('Number'), '+15551234');
    expect(onChange).toHaveBeenLastCalledWith({ type: 'number', number: '+15551234' });
  });

  it('picks an IVR menu by searching its name, and None clears', async () => {
    const requests = mockApi({
      'GET /api/v1/ivr-menus': () =>
        json(200, {
          items: [{ id: 4, name: 'Main menu', options: { '1': { type: 'group', id: 3 } } }],
          next_cursor: null,
        }),
    });
    const onChange = vi.fn();
    const user = userEvent.setup();
    renderPage(<Harness initial={{ type: 'hangup' }} onChange={onChange} />);
    const ivr = screen.getByRole('option', { name: 'An IVR menu' });
    expect(ivr).toBeEnabled();
    await user.selectOptions(screen.getByLabelText('Send calls to'), 'ivr');
    expect(onChange).toHaveBeenLastCalledWith({ type: 'ivr', id: null });
    await user.type(screen.getByRole('combobox', { name: 'IVR menu' }), 'main');
    await waitFor(() =>
      expect(
        requests.some(
          (r) => r.url.pathname === '/api/v1/ivr-menus' && r.url.searchParams.get('q') === 'main',
        ),
      ).toBe(true),
    );
    await user.click(await screen.findByRole('option', { name: /Main menu/ }));
    expect(onChange).toHaveBeenLastCalledWith({ type: 'ivr', id: 4 });

    await user.selectOptions(screen.getByLabelText('Send calls to'), 'None');
    expect(onChange).toHaveBeenLastCalledWith(null);
  });
});

describe('destination conversion', () => {
  it('round-trips API destinations', () => {
    for (const d of [
      { type: 'group', id: 3 },
      { type: 'ivr', id: 4 },
      { type: 'voicemail', box: 'group', id: 3 },
      { type: 'number', number: '+15551234' },
      { type: 'hangup' },
    ] as const) {
      expect(toDestination(fromDestination(d))).toEqual(d);
    }
    expect(toDestination(null)).toBeNull();
  });

  it('refuses an incomplete choice with a message on the missing part', () => {
    const r = destinationDraftSchema.safeParse({ type: 'user', id: null });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('Choose a user');
    const menu = destinationDraftSchema.safeParse({ type: 'ivr', id: null });
    expect(menu.error?.issues[0]?.message).toBe('Choose a menu');
    expect(destinationDraftSchema.safeParse({ type: 'number', number: '12a' }).success).toBe(false);
    expect(destinationDraftSchema.safeParse(null).success).toBe(true);
  });
});
