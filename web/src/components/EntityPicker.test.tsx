import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { EntityPicker } from './EntityPicker';
import { json, mockApi, renderPage } from '../test/render';

afterEach(() => vi.unstubAllGlobals());

const sales = { id: 3, name: 'Sales Dept', extension: '600', member_count: 2 };
const tier2 = { id: 5, name: 'Tier 2 Support', extension: '602', member_count: 4 };

describe('EntityPicker', () => {
  it('never offers the answer of an older search while the newer one is pending', async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    mockApi({
      'GET /api/v1/groups': async (_req, url) => {
        const q = url.searchParams.get('q');
        if (q === 'Tier') {
          await slow;
          return json(200, { items: [tier2], next_cursor: null });
        }
        return json(200, { items: [sales, tier2], next_cursor: null });
      },
    });
    const onChange = vi.fn();
    const user = userEvent.setup();
    renderPage(<EntityPicker kind="group" label="User group" value={null} onChange={onChange} />);
    const box = screen.getByRole('combobox', { name: 'User group' });
    await user.type(box, 'S');
    expect(await screen.findByRole('option', { name: /Sales Dept/ })).toBeInTheDocument();

    await user.clear(box);
    await user.type(box, 'Tier');
    // The 'S' answer is still shown; the 'Tier' one is held back: the old entries are
    // disabled until it comes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(screen.getByRole('option', { name: /Sales Dept/ })).toHaveAttribute(
      'aria-disabled',
      'true',
    );
    await user.keyboard('{ArrowDown}{Enter}');
    expect(onChange).not.toHaveBeenCalledWith(3, 'Sales Dept');

    release();
    const option = await screen.findByRole('option', { name: /Tier 2 Support/ });
    await user.click(option);
    expect(onChange).toHaveBeenLastCalledWith(5, 'Tier 2 Support');
  });
});
