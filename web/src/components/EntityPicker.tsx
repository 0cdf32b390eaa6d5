// Picks one user, group or IVR menu by searching the server (name or e-mail, `?q=`), so it
// stays fast with 100,000 users: only the first matches are ever fetched.
import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import {
  ComboBox,
  FieldError,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  Text,
} from 'react-aria-components';
import { api, data } from '../api/client';
import { useDebounced } from './useDebounced';

export type EntityKind = 'user' | 'group' | 'ivr';

interface Option {
  id: number;
  name: string;
  detail: string;
}

async function search(kind: EntityKind, text: string): Promise<Option[]> {
  const q = text === '' ? undefined : text;
  if (kind === 'user') {
    const page = await data(api.GET('/api/v1/users', { params: { query: { q, limit: 20 } } }));
    return page.items.map((u) => ({
      id: u.id,
      name: u.name,
      detail: `${u.email} · ${u.extension}`,
    }));
  }
  if (kind === 'ivr') {
    const menus = await data(api.GET('/api/v1/ivr-menus', { params: { query: { q, limit: 20 } } }));
    return menus.items.map((m) => ({
      id: m.id,
      name: m.name,
      detail: `${Object.keys(m.options).length} options`,
    }));
  }
  const page = await data(api.GET('/api/v1/groups', { params: { query: { q, limit: 20 } } }));
  return page.items.map((g) => ({
    id: g.id,
    name: g.name,
    detail: g.extension ? `extension ${g.extension}` : `${g.member_count} members`,
  }));
}

async function nameOf(kind: EntityKind, id: number): Promise<string> {
  if (kind === 'user') {
    const u = await data(api.GET('/api/v1/users/{id}', { params: { path: { id } } }));
    return u.name;
  }
  if (kind === 'ivr') {
    const m = await data(api.GET('/api/v1/ivr-menus/{id}', { params: { path: { id } } }));
    return m.name;
  }
  const g = await data(api.GET('/api/v1/groups/{id}', { params: { path: { id } } }));
  return g.name;
}

export function EntityPicker(props: {
  kind: EntityKind;
  label: string;
  value: number | null;
  onChange: (id: number | null, name?: string) => void;
  errorMessage?: string | undefined;
  description?: string;
  /** Ids not to offer (e.g. the group itself). */
  exclude?: readonly number[];
}) {
  const { kind, value } = props;
  const [input, setInput] = useState('');
  const [touched, setTouched] = useState(false);
  const q = useDebounced(input.trim(), 150);

  const current = useQuery({
    queryKey: [kind, value, 'name'],
    queryFn: () => nameOf(kind, value!),
    enabled: value !== null,
    staleTime: 60_000,
  });
  // Show the stored choice's name until the user types.
  useEffect(() => {
    if (!touched && current.data !== undefined) setInput(current.data);
  }, [current.data, touched]);

  const results = useQuery({
    queryKey: [kind, 'search', q],
    queryFn: () => search(kind, q),
    enabled: touched,
    placeholderData: (previous) => previous,
  });
  const items = (results.data ?? []).filter((o) => !props.exclude?.includes(o.id));
  // While the search for newer text is pending, the previous answer stays on screen (no
  // flicker, and the chosen item stays in the collection), but its entries that do not match
  // what is typed now are disabled: a quick ArrowDown + Enter after typing "Tier 2" must not
  // pick "Sales Dept" from the answer to "S".
  const settled = q === input.trim() && !results.isPlaceholderData;
  const needle = input.trim().toLowerCase();
  const disabledKeys = settled
    ? []
    : items
        .filter(
          (o) =>
            o.id !== value &&
            !o.name.toLowerCase().includes(needle) &&
            !o.detail.toLowerCase().includes(needle),
        )
        .map((o) => o.id);
  const missing = value !== null && current.isError;
  const placeholders: Record<EntityKind, string> = {
    user: 'Search name or e-mail',
    group: 'Search group name',
    ivr: 'Search menu name',
  };

  return (
    <ComboBox
      className="field react-aria-ComboBox"
      items={items}
      disabledKeys={disabledKeys}
      inputValue={input}
      onInputChange={(text) => {
        setTouched(true);
        setInput(text);
      }}
      selectedKey={value}
      onSelectionChange={(key) => {
        const id = key === null ? null : Number(key);
        const option = items.find((o) => o.id === id);
        if (option) setInput(option.name);
        props.onChange(id, option?.name);
      }}
      menuTrigger="input"
      allowsEmptyCollection
      isInvalid={Boolean(props.errorMessage) || missing}
      validationBehavior="aria"
    >
      <Label>{props.label}</Label>
      <Input placeholder={placeholders[kind]} />
      {props.description ? <Text slot="description">{props.description}</Text> : null}
      <FieldError>
        {props.errorMessage ??
          (missing ? `The ${kind === 'ivr' ? 'IVR menu' : kind} ${value} no longer exists` : '')}
      </FieldError>
      <Popover>
        <ListBox<Option>
          renderEmptyState={() => (
            <div className="react-aria-ListBoxItem">
              {!settled || results.isFetching ? 'Searching…' : 'Nothing found'}
            </div>
          )}
        >
          {(item) => (
            <ListBoxItem id={item.id} textValue={item.name}>
              {item.name} <span className="muted">{item.detail}</span>
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </ComboBox>
  );
}
