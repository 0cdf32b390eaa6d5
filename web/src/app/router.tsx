import { Link, Navigate, createBrowserRouter, type RouteObject } from 'react-router';
import { useRole } from '../auth/session';
import { SignIn } from '../auth/SignIn';
import { Layout } from './Layout';
import { homeFor, pages, type PageEntry } from './routes';

function Home() {
  const { role } = useRole();
  return <Navigate to={homeFor(role)} replace />;
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>There is no page at this address.</p>
    </section>
  );
}

/// A page only for the roles of its entry. The server refuses what the page would change
/// anyway; this keeps an agent who types an admin address from an admin page that happens
/// to read data the agent may see (its own row of /users, its own call records).
function Guarded({ page }: { page: PageEntry }) {
  const { role } = useRole();
  if (role && !page.roles.includes(role)) {
    return (
      <section>
        <h1>{page.label}</h1>
        <p>Your role may not see this.</p>
        <p>
          <Link to={homeFor(role)}>Go to your own pages</Link>
        </p>
      </section>
    );
  }
  return <page.component />;
}

export const routes: RouteObject[] = [
  { path: '/sign-in', element: <SignIn /> },
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <Home /> },
      ...pages.map((p) => ({ path: `${p.path}/*`, element: <Guarded page={p} /> })),
      { path: '*', element: <NotFound /> },
    ],
  },
];

export function makeRouter() {
  return createBrowserRouter(routes);
}
