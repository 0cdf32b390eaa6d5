import { Suspense, useEffect, useRef } from 'react';
import { NavLink, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, data, setUnauthorizedHandler } from '../api/client';
import { useRole, useSession } from '../auth/session';
import { Button, Loading } from '../components/ui';
import { pagesFor, sectionOf, type Section } from './routes';

const sections: Section[] = ['Call Manager', 'Operations', 'My account'];

function RoutingGapsBadge() {
  const gaps = useQuery({
    queryKey: ['routing-gaps'],
    queryFn: () => data(api.GET('/api/v1/routing-gaps')),
    refetchInterval: 30_000,
  });
  const count = gaps.data?.items.length ?? 0;
  if (count === 0) return null;
  return (
    <span className="badge" aria-label={`${count} routing gaps`}>
      {count}
    </span>
  );
}

export function Layout() {
  const { session, signOut, clear } = useSession();
  const { role, readAll } = useRole();
  const navigate = useNavigate();
  const location = useLocation();

  useEffect(() => {
    setUnauthorizedHandler(() => {
      clear();
      const here = window.location.pathname + window.location.search;
      void navigate(`/sign-in?next=${encodeURIComponent(here)}`, { replace: true });
    });
    return () => setUnauthorizedHandler(null);
  }, [clear, navigate]);

  // After a navigation that unmounted the focused control (a link inside a page), focus
  // would fall back to the top of the document; a keyboard user continues from the new
  // page's content instead. Links that stay (the navigation) keep their focus.
  const main = useRef<HTMLElement>(null);
  const firstPath = useRef(location.pathname);
  useEffect(() => {
    if (location.pathname === firstPath.current) return;
    firstPath.current = '';
    const active = document.activeElement;
    if (active === null || active === document.body) main.current?.focus();
  }, [location.pathname]);

  if (!session) {
    const next = location.pathname + location.search;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }

  const visible = pagesFor(role);
  const who = session.user ? session.user.name : 'Bootstrap admin';
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">Cohort</div>
        <nav aria-label="Main">
          {sections.map((section) => {
            const entries = visible.filter((p) => sectionOf(p, role) === section);
            if (entries.length === 0) return null;
            return (
              <div key={section} className="nav-section">
                <h2 className="nav-heading">{section}</h2>
                <ul>
                  {entries.map((p) => (
                    <li key={p.path}>
                      <NavLink to={`/${p.path}`}>
                        {p.label}
                        {p.path === 'routing-gaps' && readAll ? <RoutingGapsBadge /> : null}
                      </NavLink>
                    </li>
                  ))}
                </ul>
              </div>
            );
          })}
        </nav>
        <div className="whoami">
          <div>
            <span className="whoami-name">{who}</span>
            <span className="muted"> · {session.role}</span>
          </div>
          <Button
            onPress={() => {
              void signOut().then(() => navigate('/sign-in', { replace: true }));
            }}
          >
            Sign out
          </Button>
        </div>
      </aside>
      <main id="main" className="content" tabIndex={-1} ref={main}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
