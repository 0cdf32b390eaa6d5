// The console's table: a heading and a cell per column, an optional "Actions" column for the
// row's buttons, and an optional row across the table when there is no row.
import type { Key, ReactNode } from 'react';

export interface Column<T> {
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** The cell's class, e.g. "mono" or "nowrap". */
  className?: string;
}

export function DataTable<T>(props: {
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => Key;
  /** The row's buttons, in a last column headed "Actions". */
  actions?: (row: T) => ReactNode;
  caption?: string;
  className?: string;
  'aria-label'?: string;
  'aria-busy'?: boolean;
  /** Shown in a row of its own when `rows` is empty; omit for no such row. */
  empty?: ReactNode;
}) {
  const { columns, actions } = props;
  return (
    <table
      className={props.className ?? 'data'}
      aria-label={props['aria-label']}
      aria-busy={props['aria-busy']}
    >
      {props.caption ? <caption className="muted">{props.caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((c, i) => (
            <th key={i} scope="col">
              {c.header}
            </th>
          ))}
          {actions ? (
            <th scope="col">
              <span className="muted">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={props.rowKey(row)}>
            {columns.map((c, i) => (
              <td key={i} className={c.className}>
                {c.cell(row)}
              </td>
            ))}
            {actions ? <td className="actions">{actions(row)}</td> : null}
          </tr>
        ))}
        {props.rows.length === 0 && props.empty ? (
          <tr>
            <td colSpan={columns.length + (actions ? 1 : 0)} className="muted">
              {props.empty}
            </td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}
