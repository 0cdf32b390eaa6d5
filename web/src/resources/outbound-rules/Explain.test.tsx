import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ExplainForm } from './Explain';
import { json, mockApi, renderPage } from '../../test/render';

afterEach(() => vi.unstubAllGlobals());

describe('Explain a call', () => {
  it('sends the caller and number and shows the rule, the skipped rules with their reasons and the plan', async () => {
    const requests = mockApi({
      'GET /api/v1/users': () =>
        json(200, {
          items: [{ id: 8, name: 'Hugo Becker', email: 'hugo@example.com', extension: '1008' }],
          next_cursor: null,
        }),
      'POST /api/v1/outbound-rules/explain': () =>
        json(200, {
          matched: true,
          rule: { id: 2, name: 'Everyone else' },
          skipped: [
            {
              rule: { id: 1, name: 'Sales via CallCentric' },
              reason: 'caller is not in groups [Sales Dept]',
            },
            { rule: { id: 3, name: 'Emergency' }, reason: 'number does not match any pattern' },
          ],
          number: '0012125551234',
          caller_id: '1008',
          caller_id_group: null,
          trunks: [
            { id: 1, name: 'CallCentric' },
            { id: 2, name: 'Backup' },
          ],
          reason: null,
        }),
    });
    const user = userEvent.setup();
    renderPage(<ExplainForm />);

    await user.type(screen.getByRole('combobox', { name: 'Caller user' }), 'hug');
    await user.click(await screen.findByRole('option', { name: /Hugo Becker/ }));
    await user.type(screen.getByLabelText('Number dialled'), '2125551234');
    await user.click(screen.getByRole('button', { name: 'Explain' }));

    expect(await screen.findByText('caller is not in groups [Sales Dept]')).toBeInTheDocument();
    expect(screen.getByText('number does not match any pattern')).toBeInTheDocument();
    const skipped = screen.getByRole('table');
    expect(within(skipped).getByText('Sales via CallCentric')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Everyone else' })).toHaveAttribute(
      'href',
      '/outbound-rules/2',
    );
    expect(screen.getByText('0012125551234')).toBeInTheDocument();
    expect(screen.getByText('Backup')).toBeInTheDocument();
    expect(requests.find((r) => r.method === 'POST')?.body).toEqual({
      caller_user_id: 8,
      number: '2125551234',
    });
  });

  it('says why no rule matched', async () => {
    mockApi({
      'GET /api/v1/users': () =>
        json(200, {
          items: [{ id: 8, name: 'Hugo Becker', email: 'h@e.com', extension: '1008' }],
          next_cursor: null,
        }),
      'POST /api/v1/outbound-rules/explain': () =>
        json(200, {
          matched: false,
          rule: null,
          skipped: [{ rule: { id: 1, name: 'Sales' }, reason: 'calls from trunks not allowed' }],
          number: null,
          caller_id: null,
          caller_id_group: null,
          trunks: [],
          reason: 'no outbound rule matches 112 for caller 1008',
        }),
    });
    const user = userEvent.setup();
    renderPage(<ExplainForm />);
    await user.type(screen.getByRole('combobox', { name: 'Caller user' }), 'hug');
    await user.click(await screen.findByRole('option', { name: /Hugo Becker/ }));
    await user.type(screen.getByLabelText('Number dialled'), '112');
    await user.click(screen.getByRole('button', { name: 'Explain' }));
    expect(await screen.findByText(/no outbound rule matches 112/)).toBeInTheDocument();
    expect(screen.getByText('calls from trunks not allowed')).toBeInTheDocument();
  });

  it('asks for the caller before asking the server', async () => {
    const requests = mockApi({});
    const user = userEvent.setup();
    renderPage(<ExplainForm />);
    await user.type(screen.getByLabelText('Number dialled'), '112');
    await user.click(screen.getByRole('button', { name: 'Explain' }));
    expect(await screen.findByText('Choose the caller')).toBeInTheDocument();
    await waitFor(() => expect(requests.filter((r) => r.method === 'POST')).toHaveLength(0));
  });
});
