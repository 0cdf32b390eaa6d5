import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../../api/errors';
import { MenuForm, type IvrMenu, type IvrMenuInput } from './MenuForm';
import { adminUser, json, mockApi, renderPage, sessionFor } from '../../test/render';

afterEach(() => vi.unstubAllGlobals());

const groups = [
  { id: 3, name: 'Sales Dept', extension: '600', member_count: 2 },
  { id: 5, name: 'Support', extension: null, member_count: 1 },
];

const stored: IvrMenu = {
  id: 7,
  name: 'Main menu',
  options: { '2': { type: 'group', id: 5 }, '1': { type: 'group', id: 3 } },
  timeout_s: 8,
  timeout: { type: 'group', id: 3 },
  invalid: null,
  repeat: 2,
  direct_dial: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

function groupApi() {
  return {
    'GET /api/v1/groups': () => json(200, { items: groups, next_cursor: null }),
    'GET /api/v1/groups/3': () => json(200, groups[0]),
    'GET /api/v1/groups/5': () => json(200, groups[1]),
  };
}

describe('IVR menu form', () => {
  it('creates a menu with two options, a timeout, repeat and direct dial', async () => {
    mockApi(groupApi());
    const onSave = vi.fn(async (_body: IvrMenuInput) => {});
    const user = userEvent.setup();
    renderPage(<MenuForm readOnly={false} onSave={onSave} onCancel={() => {}} />);
    await user.type(screen.getByRole('textbox', { name: 'Name' }), ' Main menu ');

    await user.click(screen.getByRole('button', { name: 'Add option' }));
    const first = screen.getByRole('group', { name: 'Destination for key 1' });
    await user.selectOptions(within(first).getByLabelText('Send calls to'), 'group');
    await user.type(within(first).getByRole('combobox', { name: 'User group' }), 'sal');
    await user.click(await screen.findByRole('option', { name: /Sales Dept/ }));

    await user.click(screen.getByRole('button', { name: 'Add option' }));
    // The next free key is offered, and a key already used is not.
    const key = screen.getByRole('combobox', { name: 'Key of option 2' });
    expect(key).toHaveValue('2');
    expect(within(key).queryByRole('option', { name: '1' })).toBeNull();
    await user.selectOptions(key, '#');
    const hash = screen.getByRole('group', { name: 'Destination for key #' });
    await user.selectOptions(within(hash).getByLabelText('Send calls to'), 'number');
    await user.type(within(hash).getByLabelText('Number'), '+4930123');

    const timeout = screen.getByRole('textbox', { name: 'Timeout (s)' });
    await user.clear(timeout);
    await user.type(timeout, '10');
    const repeat = screen.getByRole('textbox', { name: 'Repeat' });
    await user.clear(repeat);
    await user.type(repeat, '4');
    const invalid = screen.getByRole('group', { name: 'Invalid destination' });
    await user.selectOptions(within(invalid).getByLabelText('Send calls to'), 'hangup');
    await user.click(screen.getByRole('checkbox', { name: /Direct dial/ }));

    await user.click(screen.getByRole('button', { name: 'Add IVR menu' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledTimes(1));
    expect(onSave.mock.calls[0]?.[0]).toEqual({
      name: 'Main menu',
      options: { '1': { type: 'group', id: 3 }, '#': { type: 'number', number: '+4930123' } },
      timeout_s: 10,
      timeout: null,
      invalid: { type: 'hangup' },
      repeat: 4,
      direct_dial: true,
    });
  });

  it('checks options and ranges before sending', async () => {
    mockApi(groupApi());
    const onSave = vi.fn(async (_body: IvrMenuInput) => {});
    const user = userEvent.setup();
    renderPage(<MenuForm readOnly={false} onSave={onSave} onCancel={() => {}} />);
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Main');
    await user.click(screen.getByRole('button', { name: 'Add option' }));
    const repeat = screen.getByRole('textbox', { name: 'Repeat' });
    await user.clear(repeat);
    await user.type(repeat, '11');
    await user.click(screen.getByRole('button', { name: 'Add IVR menu' }));
    expect(await screen.findByText('Choose where this key sends the call')).toBeInTheDocument();
    expect(screen.getByText('Repeat must be a whole number from 1 to 10')).toBeInTheDocument();
    expect(onSave).not.toHaveBeenCalled();
    // Removing the incomplete option leaves a menu without options, which is fine.
    await user.click(screen.getByRole('button', { name: 'Remove option 1' }));
    await user.clear(repeat);
    await user.type(repeat, '1');
    await user.click(screen.getByRole('button', { name: 'Add IVR menu' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledTimes(1));
    expect(onSave.mock.calls[0]?.[0]).toMatchObject({ options: {}, repeat: 1 });
  });

  it('shows a stored menu in keypad order and puts API errors beside their option', async () => {
    mockApi(groupApi());
    const onSave = vi.fn(async (_body: IvrMenuInput) => {
      throw new ApiError({
        status: 400,
        code: 'invalid',
        message: 'no group with id 5',
        field: 'options.2.id',
      });
    });
    const user = userEvent.setup();
    renderPage(<MenuForm menu={stored} readOnly={false} onSave={onSave} onCancel={() => {}} />);
    expect(screen.getByRole('combobox', { name: 'Key of option 1' })).toHaveValue('1');
    expect(screen.getByRole('combobox', { name: 'Key of option 2' })).toHaveValue('2');
    expect(await screen.findByDisplayValue('Support')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Timeout (s)' })).toHaveValue('8');
    expect(screen.getByRole('checkbox', { name: /Direct dial/ })).toBeChecked();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const row = screen.getByRole('group', { name: 'Destination for key 2' });
    expect(await within(row).findByRole('alert')).toHaveTextContent('no group with id 5');
  });

  it('is read-only for a supervisor', async () => {
    mockApi(groupApi());
    renderPage(<MenuForm menu={stored} readOnly onSave={async () => {}} onCancel={() => {}} />, {
      session: sessionFor({ ...adminUser, role: 'supervisor' }, 'supervisor'),
    });
    expect(screen.getByRole('textbox', { name: 'Name' })).toBeDisabled();
    expect(screen.queryByRole('button', { name: 'Add option' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
    expect(screen.getByRole('combobox', { name: 'Key of option 1' })).toBeDisabled();
  });
});
