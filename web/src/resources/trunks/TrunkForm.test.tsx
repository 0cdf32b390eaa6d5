import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../../api/errors';
import type { Trunk } from '../../api/types';
import { TrunkForm, type TrunkInput } from './TrunkForm';
import { renderPage } from '../../test/render';

afterEach(() => vi.unstubAllGlobals());

const stored: Trunk = {
  id: 4,
  name: 'CallCentric',
  host: 'sip.callcentric.net',
  port: 5060,
  transport: 'udp',
  username: '17775551234',
  has_password: true,
  auth_realm: null,
  register: false,
  register_expires_s: 3600,
  from_domain: '',
  max_concurrent_calls: 0,
  inbound_sources: [],
  media: 'direct',
  status: null,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

describe('Trunk form: media', () => {
  it('relays by default, and sends the media chosen', async () => {
    const onSave = vi.fn(async (_body: TrunkInput) => {});
    const user = userEvent.setup();
    renderPage(<TrunkForm readOnly={false} onSave={onSave} onCancel={() => {}} />);
    const media = screen.getByRole('combobox', { name: 'Media' });
    expect(media).toHaveValue('relay');
    expect(within(media).getByRole('option', { name: 'Relay through Cohort' })).toHaveValue(
      'relay',
    );
    expect(within(media).getByRole('option', { name: 'Direct (phone to provider)' })).toHaveValue(
      'direct',
    );
    expect(screen.getByText(/the provider sees only Cohort's address/)).toBeInTheDocument();

    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Provider');
    await user.click(screen.getByRole('button', { name: 'Add trunk' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledTimes(1));
    expect(onSave.mock.calls[0]?.[0]).toMatchObject({ name: 'Provider', media: 'relay' });

    await user.selectOptions(media, 'direct');
    await user.click(screen.getByRole('button', { name: 'Add trunk' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledTimes(2));
    expect(onSave.mock.calls[1]?.[0]).toMatchObject({ name: 'Provider', media: 'direct' });
  });

  it('shows the stored media, sends a change, and puts an API error on the field', async () => {
    const onSave = vi.fn(async (body: TrunkInput) => {
      if (body.media === 'relay') return;
      throw new ApiError({
        status: 400,
        code: 'invalid',
        message: 'media must be relay or direct',
        field: 'media',
      });
    });
    const user = userEvent.setup();
    renderPage(<TrunkForm trunk={stored} readOnly={false} onSave={onSave} onCancel={() => {}} />);
    const media = screen.getByRole('combobox', { name: 'Media' });
    expect(media).toHaveValue('direct');

    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledTimes(1));
    expect(onSave.mock.calls[0]?.[0]).toMatchObject({ media: 'direct' });
    expect(await screen.findByText('media must be relay or direct')).toBeInTheDocument();
    expect(media).toHaveAttribute('aria-invalid', 'true');

    await user.selectOptions(media, 'relay');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledTimes(2));
    expect(onSave.mock.calls[1]?.[0]).toMatchObject({ media: 'relay' });
  });

  it('is read-only for a supervisor', () => {
    renderPage(<TrunkForm trunk={stored} readOnly onSave={async () => {}} onCancel={() => {}} />);
    const media = screen.getByRole('combobox', { name: 'Media' });
    expect(media).toHaveValue('direct');
    expect(media).toBeDisabled();
  });
});
