import { describe, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DeleteDialog } from './DeleteDialog';
import { ApiError } from '../api/errors';
import { renderPage } from '../test/render';

const group = { kind: 'group', id: 3, name: 'Sales Dept', field: 'trunk' } as const;
const route = { kind: 'inbound_route', id: 4, name: 'Main number', field: 'destination' } as const;

function dialog(onDelete: (force: boolean) => Promise<unknown>, onDeleted = vi.fn()) {
  renderPage(
    <DeleteDialog
      isOpen
      onOpenChange={() => {}}
      title="Delete trunk"
      explanation="Deleting the trunk cannot be undone."
      onDelete={onDelete as never}
      onDeleted={onDeleted}
    />,
  );
  return onDeleted;
}

describe('DeleteDialog', () => {
  it('lists the referrers of a refused delete, then forces it and shows what it cleared', async () => {
    const calls: boolean[] = [];
    const onDeleted = dialog(async (force) => {
      calls.push(force);
      if (!force) {
        throw new ApiError({
          status: 409,
          code: 'conflict',
          message: 'referenced',
          field: null,
          referrers: [group],
        });
      }
      return { deleted: 2, cleared: [group], routing_gaps: [route] };
    });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('Sales Dept')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Delete anyway' }));
    expect(await screen.findByText(/no longer use it/)).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('It left routing gaps (1)');
    expect(screen.getByText('Main number')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Routing gaps' })).toBeInTheDocument();
    expect(calls).toEqual([false, true]);
    expect(onDeleted).not.toHaveBeenCalled();
  });

  it('closes at once when nothing referred to the object', async () => {
    const onDeleted = dialog(async () => undefined);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Delete' }));
    expect(onDeleted).toHaveBeenCalledOnce();
  });
});
