import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { json, mockApi, renderPage } from '../test/render';
import { AudioPrompt } from './AudioPrompt';

afterEach(() => vi.unstubAllGlobals());

function wav(source: 'uploaded' | 'default') {
  return new Response(new Uint8Array([82, 73, 70, 70]), {
    status: 200,
    headers: { 'Content-Type': 'audio/wav', 'X-Cohort-Audio-Source': source },
  });
}

function greeting(readOnly = false) {
  return (
    <AudioPrompt
      route="/api/v1/groups/{id}/greeting"
      id={3}
      title="Greeting"
      defaultLabel="Default greeting"
      resetLabel="Use default greeting"
      readOnly={readOnly}
    />
  );
}

describe('AudioPrompt', () => {
  it('labels the player from X-Cohort-Audio-Source and plays the GET of the route', async () => {
    mockApi({ 'GET /api/v1/groups/3/greeting': () => wav('default') });
    renderPage(greeting());
    const group = screen.getByRole('group', { name: 'Greeting' });
    expect(await within(group).findByText('Default greeting')).toBeVisible();
    const player = group.querySelector('audio')!;
    expect(player).toHaveAttribute('src', '/api/v1/groups/3/greeting');
    expect(player).toHaveAttribute('controls');
    // Nothing uploaded: nothing to reset.
    expect(within(group).queryByRole('button', { name: 'Use default greeting' })).toBeNull();
  });

  it('uploads the file as the raw audio/wav body with the CSRF token, then shows Uploaded', async () => {
    let uploaded = false;
    const requests = mockApi({
      'GET /api/v1/groups/3/greeting': () => wav(uploaded ? 'uploaded' : 'default'),
      'PUT /api/v1/groups/3/greeting': () => {
        uploaded = true;
        return json(200, {
          source: 'uploaded',
          duration_ms: 1500,
          sample_rate: 16000,
          updated_at: '2026-01-01T00:00:00Z',
        });
      },
    });
    const user = userEvent.setup();
    renderPage(greeting());
    const group = screen.getByRole('group', { name: 'Greeting' });
    await within(group).findByText('Default greeting');
    const upload = within(group).getByRole('button', { name: 'Upload WAV' });
    expect(upload).toBeDisabled();
    await user.upload(
      within(group).getByLabelText('WAV file'),
      new File(['RIFFdata'], 'hello.wav', { type: 'audio/wav' }),
    );
    await user.click(upload);

    expect(await within(group).findByText('Uploaded')).toBeVisible();
    expect(within(group).getByRole('status')).toHaveTextContent('Uploaded hello.wav (1.5 s).');
    const put = requests.find((r) => r.method === 'PUT')!;
    expect(put.headers.get('Content-Type')).toBe('audio/wav');
    expect(put.headers.get('X-CSRF-Token')).toBe('csrf-test');
    expect(put.body).toBe('RIFFdata');
    expect(within(group).getByRole('button', { name: 'Use default greeting' })).toBeVisible();
  });

  it("shows the API's 400 message in its error area and keeps the default", async () => {
    mockApi({
      'GET /api/v1/groups/3/greeting': () => wav('default'),
      'PUT /api/v1/groups/3/greeting': () =>
        json(400, {
          error: {
            code: 'invalid',
            message: 'the file is not a WAV (no RIFF header)',
            field: null,
          },
        }),
    });
    const user = userEvent.setup();
    renderPage(greeting());
    const group = screen.getByRole('group', { name: 'Greeting' });
    await within(group).findByText('Default greeting');
    const input = within(group).getByLabelText('WAV file');
    await user.upload(input, new File(['not audio'], 'notes.wav', { type: 'audio/wav' }));
    await user.click(within(group).getByRole('button', { name: 'Upload WAV' }));
    expect(await within(group).findByRole('alert')).toHaveTextContent(
      'the file is not a WAV (no RIFF header)',
    );
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(within(group).getByText('Default greeting')).toBeVisible();
  });

  it('"Use default greeting" deletes the upload', async () => {
    let uploaded = true;
    const requests = mockApi({
      'GET /api/v1/groups/3/greeting': () => wav(uploaded ? 'uploaded' : 'default'),
      'DELETE /api/v1/groups/3/greeting': () => {
        uploaded = false;
        return new Response(null, { status: 204 });
      },
    });
    const user = userEvent.setup();
    renderPage(greeting());
    const group = screen.getByRole('group', { name: 'Greeting' });
    await within(group).findByText('Uploaded');
    await user.click(within(group).getByRole('button', { name: 'Use default greeting' }));
    expect(await within(group).findByText('Default greeting')).toBeVisible();
    await waitFor(() => expect(requests.filter((r) => r.method === 'DELETE')).toHaveLength(1));
    expect(requests.find((r) => r.method === 'DELETE')!.headers.get('X-CSRF-Token')).toBe(
      'csrf-test',
    );
  });

  it('read-only: the player without upload or reset', async () => {
    mockApi({ 'GET /api/v1/groups/3/greeting': () => wav('uploaded') });
    renderPage(greeting(true));
    const group = screen.getByRole('group', { name: 'Greeting' });
    await within(group).findByText('Uploaded');
    expect(within(group).queryByLabelText('WAV file')).toBeNull();
    expect(within(group).queryByRole('button')).toBeNull();
  });
});
