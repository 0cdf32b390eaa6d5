// The pages of a resource edited on its own page (trunks, outbound rules, inbound routes,
// business hours): the list at the index, "new" for the Add page and ":id" for the edit page.
// Each resource keeps its columns, form, API calls and query keys; these pages only wire
// them together: Add, Edit and Delete on the list, save, refresh what changed, back to the list.
import { Fragment, useState, type ReactNode } from 'react';
import { Link, Route, Routes, useNavigate, useParams } from 'react-router';
import {
  useQuery,
  useQueryClient,
  type QueryKey,
  type UseQueryResult,
} from '@tanstack/react-query';
import { useRole } from '../auth/session';
import { DataTable, type Column } from './DataTable';
import { DeleteDialog, type DeleteResult } from './DeleteDialog';
import { Button, ErrorMessage, Loading, PageHeader } from './ui';

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

/// How a list row is deleted, through DeleteDialog.
export interface DeleteWiring<T> {
  /** The row's Delete button's accessible name, e.g. "Delete trunk Main". */
  label: (item: T) => string;
  title: (item: T) => string;
  explanation: (item: T) => ReactNode;
  onDelete: (item: T, force: boolean) => Promise<DeleteResult | undefined>;
  /** The queries a delete changes: the list, the routing gaps. */
  changed: QueryKey[];
}

export interface ResourceListProps<T> {
  title: string;
  /** E.g. "/trunks": Add goes to "/trunks/new", Edit to "/trunks/{id}". */
  path: string;
  /** For "Loading …", e.g. "trunks". */
  what: string;
  query: UseQueryResult<{ items: T[] }>;
  /** Shown instead of the table when there is no row. */
  empty: string;
  /** Shown above the table. */
  intro?: ReactNode;
  /** The error of an action on the list (a move). */
  error?: unknown;
  columns: readonly Column<T>[];
  caption?: string;
  /** An admin's buttons before Edit and Delete (Move up / Move down). */
  rowActions?: (item: T) => ReactNode;
  delete: DeleteWiring<T>;
  /** Shown below the table. */
  children?: ReactNode;
}

/// The list page: Add (for an admin), the table, Edit and Delete on each row (for an admin).
export function ResourceList<T extends { id: number; name: string }>(props: ResourceListProps<T>) {
  const { admin } = useRole();
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState<T | null>(null);
  const { query, path } = props;
  const del = props.delete;
  return (
    <section>
      <PageHeader
        title={props.title}
        actions={
          admin ? (
            <Link className="btn btn-primary" to={`${path}/new`}>
              Add
            </Link>
          ) : null
        }
      />
      {props.intro}
      {query.isPending ? <Loading what={props.what} /> : null}
      {query.isError ? <ErrorMessage error={query.error} /> : null}
      {props.error ? <ErrorMessage error={props.error} /> : null}
      {query.data ? (
        query.data.items.length === 0 ? (
          <p className="muted">{props.empty}</p>
        ) : (
          <DataTable
            columns={props.columns}
            rows={query.data.items}
            rowKey={(item) => item.id}
            {...(props.caption ? { caption: props.caption } : {})}
            actions={(item) =>
              admin ? (
                <span className="row-actions">
                  {props.rowActions?.(item)}
                  <Link className="btn" to={`${path}/${item.id}`}>
                    Edit
                  </Link>
                  <Button aria-label={del.label(item)} onPress={() => setDeleting(item)}>
                    Delete
                  </Button>
                </span>
              ) : null
            }
          />
        )
      ) : null}
      {props.children}
      {deleting ? (
        <DeleteDialog
          isOpen
          onOpenChange={(open) => {
            if (!open) setDeleting(null);
          }}
          title={del.title(deleting)}
          explanation={del.explanation(deleting)}
          onDelete={(force) => del.onDelete(deleting, force)}
          onDeleted={() => {
            setDeleting(null);
            for (const key of del.changed) void queryClient.invalidateQueries({ queryKey: key });
          }}
        />
      ) : null}
    </section>
  );
}
