import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, data, setCsrfToken } from '../api/client';
import { isApiError } from '../api/errors';
import type { Role, Session } from '../api/types';

export type Credentials = { email: string; password: string } | { token: string };

interface SessionState {
  session: Session | null;
  signIn(credentials: Credentials): Promise<Session>;
  signOut(): Promise<void>;
  /** Forget the session locally (after a 401). */
  clear(): void;
}

const SessionContext = createContext<SessionState | null>(null);

/// GET /api/v1/session at start: the HttpOnly cookie restores the session on reload.
export async function restoreSession(): Promise<Session | null> {
  try {
    const session = await data(api.GET('/api/v1/session'));
    setCsrfToken(session.csrf_token);
    return session;
  } catch (e) {
    if (isApiError(e) && e.status === 401) return null;
    throw e;
  }
}

export function SessionProvider(props: { initial: Session | null; children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(props.initial);
  const queryClient = useQueryClient();

  const signIn = useCallback(async (credentials: Credentials) => {
    const next = await data(api.POST('/api/v1/session', { body: credentials }));
    setCsrfToken(next.csrf_token);
    setSession(next);
    return next;
  }, []);

  const clear = useCallback(() => {
    setCsrfToken(null);
    setSession(null);
    queryClient.clear();
  }, [queryClient]);

  const signOut = useCallback(async () => {
    try {
      await api.DELETE('/api/v1/session');
    } finally {
      clear();
    }
  }, [clear]);

  const value = useMemo(
    () => ({ session, signIn, signOut, clear }),
    [session, signIn, signOut, clear],
  );
  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}

/// What the console shows; the server enforces the same rules.
export function can(role: Role | undefined) {
  return {
    admin: role === 'admin',
    /** Read every configuration page (admins and supervisors). */
    readAll: role === 'admin' || role === 'supervisor',
    /** Pause and resume anyone. */
    pauseAnyone: role === 'admin' || role === 'supervisor',
  };
}

export function useRole() {
  const { session } = useSession();
  return { role: session?.role, ...can(session?.role), session };
}
