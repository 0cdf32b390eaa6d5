import { useEffect, useState } from 'react';

export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

/// A stack of cursors: page 0 has none, page n the `next_cursor` of page n-1.
export function useCursorPages(resetKey: unknown) {
  const [state, setState] = useState<{ key: unknown; stack: (string | undefined)[] }>({
    key: resetKey,
    stack: [undefined],
  });
  const stack = Object.is(state.key, resetKey) ? state.stack : [undefined];
  if (!Object.is(state.key, resetKey)) setState({ key: resetKey, stack: [undefined] });
  return {
    cursor: stack[stack.length - 1],
    page: stack.length,
    hasPrevious: stack.length > 1,
    next: (cursor: string) => setState({ key: resetKey, stack: [...stack, cursor] }),
    previous: () => setState({ key: resetKey, stack: stack.slice(0, -1) }),
  };
}

export type CursorPages = ReturnType<typeof useCursorPages>;
