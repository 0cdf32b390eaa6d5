// Resources tried in order from the top (outbound rules, inbound routes): the list with a
// "#" column and Move up / Move down on each row, which PATCH the row's `position`.
import { useMutation, useQueryClient, type QueryKey } from '@tanstack/react-query';
import type { Column } from './DataTable';
import { ResourceList, type ResourceListProps } from './ResourcePages';
import { Button } from './ui';

/// Move up / Move down of one row of an ordered list: `onMove` gets the new 1-based position.
export function MoveButtons(props: {
  name: string;
  position: number;
  count: number;
  onMove: (position: number) => void;
  isDisabled?: boolean;
}) {
  return (
    <>
      <Button
        aria-label={`Move up: ${props.name}`}
        isDisabled={(props.isDisabled ?? false) || props.position <= 1}
        onPress={() => props.onMove(props.position - 1)}
      >
        Move up
      </Button>
      <Button
        aria-label={`Move down: ${props.name}`}
        isDisabled={(props.isDisabled ?? false) || props.position >= props.count}
        onPress={() => props.onMove(props.position + 1)}
      >
        Move down
      </Button>
    </>
  );
}

type Ordered = { id: number; name: string; position: number };

export function OrderedList<T extends Ordered>(
  props: Omit<ResourceListProps<T>, 'error' | 'rowActions'> & {
    /** The list's query key, refreshed after a move. */
    listKey: QueryKey;
    /** PATCH the object's position. */
    setPosition: (id: number, position: number) => Promise<unknown>;
  },
) {
  const { listKey, setPosition, columns, ...list } = props;
  const queryClient = useQueryClient();
  const move = useMutation({
    mutationFn: (v: { id: number; position: number }) => setPosition(v.id, v.position),
    onSettled: () => queryClient.invalidateQueries({ queryKey: listKey }),
  });
  const count = props.query.data?.items.length ?? 0;
  const position: Column<T> = { header: '#', cell: (item) => item.position };
  return (
    <ResourceList
      {...list}
      columns={[position, ...columns]}
      error={move.error}
      rowActions={(item) => (
        <MoveButtons
          name={item.name}
          position={item.position}
          count={count}
          isDisabled={move.isPending}
          onMove={(to) => move.mutate({ id: item.id, position: to })}
        />
      )}
    />
  );
}
