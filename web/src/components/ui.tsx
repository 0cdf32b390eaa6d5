import type { ReactNode } from 'react';
import {
  Button as AriaButton,
  Dialog,
  Heading,
  Modal,
  ModalOverlay,
  type ButtonProps,
} from 'react-aria-components';
import { isApiError } from '../api/errors';
import type { CursorPages } from './useDebounced';

export function Button(
  props: ButtonProps & { variant?: 'primary' | 'danger' | 'plain'; children: ReactNode },
) {
  const { variant = 'plain', className, ...rest } = props;
  return <AriaButton {...rest} className={`btn btn-${variant} ${String(className ?? '')}`} />;
}

/// An icon-only button; `label` is its accessible name and tooltip.
export function IconButton(
  props: Omit<ButtonProps, 'children' | 'aria-label'> & { label: string; icon: ReactNode },
) {
  const { label, icon, className, ...rest } = props;
  return (
    <AriaButton {...rest} aria-label={label} className={`btn btn-icon ${String(className ?? '')}`}>
      <span aria-hidden="true">{icon}</span>
      <span className="tooltip" aria-hidden="true">
        {label}
      </span>
    </AriaButton>
  );
}

export function ModalDialog(props: {
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  children: ReactNode;
  role?: 'dialog' | 'alertdialog';
}) {
  return (
    <ModalOverlay
      className="modal-overlay"
      isOpen={props.isOpen}
      onOpenChange={props.onOpenChange}
      isDismissable
    >
      <Modal className="modal">
        <Dialog className="dialog" role={props.role ?? 'dialog'}>
          <Heading slot="title">{props.title}</Heading>
          {props.children}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}

export function PageHeader(props: { title: string; actions?: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{props.title}</h1>
      {props.children}
      {props.actions ? <div className="page-actions">{props.actions}</div> : null}
    </header>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <p className="muted" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

export function ErrorMessage(props: { error: unknown }) {
  const message = isApiError(props.error)
    ? props.error.status === 403
      ? 'Your role may not see this.'
      : props.error.message
    : props.error instanceof Error
      ? props.error.message
      : 'Something went wrong';
  return (
    <div className="banner banner-error" role="alert">
      {message}
    </div>
  );
}

/// Next / previous over the API's opaque cursors: `pages` keeps the cursors of the pages
/// before, `nextCursor` is the shown page's `next_cursor`.
export function Pager(props: {
  pages: Pick<CursorPages, 'hasPrevious' | 'previous' | 'next'>;
  nextCursor: string | null | undefined;
  label: string;
}) {
  const { pages, nextCursor } = props;
  return (
    <nav className="pager" aria-label={props.label}>
      <Button isDisabled={!pages.hasPrevious} onPress={pages.previous}>
        Previous page
      </Button>
      <Button
        isDisabled={!nextCursor}
        onPress={() => {
          if (nextCursor) pages.next(nextCursor);
        }}
      >
        Next page
      </Button>
    </nav>
  );
}
