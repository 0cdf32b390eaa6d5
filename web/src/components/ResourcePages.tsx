// The pages of a resource edited on its own page (trunks, outbound rules, inbound routes,
// business hours): the list at the index, "new" for the Add page and ":id" for the edit page.
// Each resource keeps its form, its API calls and its query keys; these pages only wire a
// form to them: save, refresh what the save changed, back to the list.
import { Fragment, type ReactNode } from 'react';
import { Route, Routes, useNavigate, useParams } from 'react-router';
import { useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useRole } from '../auth/session';
import { ErrorMessage, Loading, PageHeader } from './ui';

/// What a resource's form takes from the page around it.
export interface FormWiring<B> {
  readOnly: boolean;
  onCancel: () => void;
  onSave: (body: B) => Promise<void>;
}

export function ResourceRoutes(props: { list: ReactNode; create: ReactNode; edit: ReactNode }) {
  return (
    <Routes>
      <Route index element={props.list} />
      <Route path="new" element={props.create} />
      <Route path=":id" element={props.edit} />
    </Routes>
  );
}

/// The Add page: the form saved with `create`, then the list refreshed and shown.
export function NewPage<B>(props: {
  title: string;
  listPath: string;
  listKey: QueryKey;
  create: (body: B) => Promise<unknown>;
  children: (form: FormWiring<B>) => ReactNode;
}) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  return (
    <section>
      <PageHeader title={props.title} />
      {props.children({
        readOnly: false,
        onCancel: () => void navigate(props.listPath),
        onSave: async (body) => {
          await props.create(body);
          await queryClient.invalidateQueries({ queryKey: props.listKey });
          void navigate(props.listPath);
        },
      })}
    </section>
  );
}

/// The edit page of the object at `:id`: read-only for a non-admin. A save refreshes the
/// list, the object and `alsoChanged`, then shows the list.
export function EditPage<T extends { id: number; name: string }, B>(props: {
  /** The heading, followed by the object's name once it is loaded. */
  title: string;
  /** For "Loading …", e.g. "the trunk". */
  what: string;
  listPath: string;
  listKey: QueryKey;
  itemKey: (id: number) => QueryKey;
  fetch: (id: number) => Promise<T>;
  update: (id: number, body: B) => Promise<unknown>;
  refetchInterval?: number;
  /** Other queries a save changes (a schedule's live state). */
  alsoChanged?: (id: number) => QueryKey[];
  /** Shown in the page header once the object is loaded. */
  header?: (item: T) => ReactNode;
  /** The form, and anything shown above it; keyed by the object's id. */
  children: (item: T, form: FormWiring<B>) => ReactNode;
}) {
  const id = Number(useParams().id);
  const { admin } = useRole();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const item = useQuery({
    queryKey: props.itemKey(id),
    queryFn: () => props.fetch(id),
    ...(props.refetchInterval ? { refetchInterval: props.refetchInterval } : {}),
  });
  return (
    <section>
      <PageHeader title={item.data ? `${props.title} ${item.data.name}` : props.title}>
        {item.data && props.header ? props.header(item.data) : null}
      </PageHeader>
      {item.isPending ? <Loading what={props.what} /> : null}
      {item.isError ? <ErrorMessage error={item.error} /> : null}
      {item.data ? (
        <Fragment key={item.data.id}>
          {props.children(item.data, {
            readOnly: !admin,
            onCancel: () => void navigate(props.listPath),
            onSave: async (body) => {
              await props.update(id, body);
              await queryClient.invalidateQueries({ queryKey: props.listKey });
              await queryClient.invalidateQueries({ queryKey: props.itemKey(id) });
              for (const key of props.alsoChanged?.(id) ?? []) {
                await queryClient.invalidateQueries({ queryKey: key });
              }
              void navigate(props.listPath);
            },
          })}
        </Fragment>
      ) : null}
    </section>
  );
}
