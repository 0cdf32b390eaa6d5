import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from 'react-router';
import { isApiError } from './api/errors';
import { restoreSession, SessionProvider } from './auth/session';
import { makeRouter } from './app/router';
import './styles/global.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // A 4xx will not change by asking again.
      retry: (count, error) => !(isApiError(error) && error.status < 500) && count < 2,
    },
  },
});

async function start() {
  const root = createRoot(document.getElementById('root')!);
  // The sign-in page needs no session: it renders at once instead of waiting for the
  // answer of GET /api/v1/session (a first visit's time to interactive). Signing in there
  // with a live cookie simply opens a new session.
  let initial = null;
  if (window.location.pathname !== '/sign-in') {
    try {
      initial = await restoreSession();
    } catch {
      initial = null;
    }
  }
  const router = makeRouter();
  root.render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <SessionProvider initial={initial}>
          <RouterProvider router={router} />
        </SessionProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
}

void start();
