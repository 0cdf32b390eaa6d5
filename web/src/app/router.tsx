import { Navigate, createBrowserRouter, type RouteObject } from 'react-router';
import { useRole } from '../auth/session';
import { SignIn } from '../auth/SignIn';
import { Layout } from './Layout';
import { homeFor, pages } from './routes';

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

export const routes: RouteObject[] = [
  { path: '/sign-in', element: <SignIn /> },
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <Home /> },
      ...pages.map((p) => ({ path: `${p.path}/*`, element: <p.component /> })),
      { path: '*', element: <NotFound /> },
    ],
  },
];

export function makeRouter() {
  return createBrowserRouter(routes);
}
