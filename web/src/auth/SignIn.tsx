import { useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { Form } from 'react-aria-components';
import { isApiError } from '../api/errors';
import { homeFor } from '../app/routes';
import { FormBanner, TextInput } from '../components/fields';
import { Button } from '../components/ui';
import { useSession, type Credentials } from './session';
import './sign-in.css';

const passwordSchema = z.object({
  email: z.string().trim().min(1, 'Enter your e-mail'),
  password: z.string().min(1, 'Enter your password'),
});
const tokenSchema = z.object({ token: z.string().trim().min(1, 'Enter an API token') });

/// The message for a failed sign-in; the 429 names the wait in whole minutes.
export function signInErrorMessage(error: unknown, way: 'password' | 'token'): string {
  if (isApiError(error)) {
    if (error.status === 429) {
      const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60));
      return `Too many failed sign-ins; try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
    }
    if (error.status === 401) {
      return way === 'password' ? 'Wrong e-mail or password' : 'This API token is not valid';
    }
    return error.message;
  }
  return 'The server did not answer; try again';
}

/// Only a path of this console: never an absolute or protocol-relative URL (open redirect).
function safeNext(next: string | null): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/sign-in')) {
    return null;
  }
  return next;
}

export function SignIn() {
  const { session, signIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [way, setWay] = useState<'password' | 'token'>('password');
  const [banner, setBanner] = useState<string | null>(null);
  const next = safeNext(params.get('next'));

  const passwordForm = useForm<z.infer<typeof passwordSchema>>({
    resolver: zodResolver(passwordSchema),
    defaultValues: { email: '', password: '' },
  });
  const tokenForm = useForm<z.infer<typeof tokenSchema>>({
    resolver: zodResolver(tokenSchema),
    defaultValues: { token: '' },
  });

  if (session) return <Navigate to={next ?? homeFor(session.role)} replace />;

  async function submit(credentials: Credentials, kind: 'password' | 'token') {
    setBanner(null);
    try {
      const s = await signIn(credentials);
      void navigate(next ?? homeFor(s.role), { replace: true });
    } catch (e) {
      setBanner(signInErrorMessage(e, kind));
    }
  }

  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card">
        <div className="brand">Cohort</div>
        <h1>Sign in</h1>
        <FormBanner message={banner} />
        {way === 'password' ? (
          <Form
            onSubmit={passwordForm.handleSubmit((v) => submit(v, 'password'))}
            validationBehavior="aria"
          >
            <TextInput
              control={passwordForm.control}
              name="email"
              label="E-mail"
              type="email"
              autoComplete="username"
            />
            <TextInput
              control={passwordForm.control}
              name="password"
              label="Password"
              type="password"
              autoComplete="current-password"
            />
            <Button
              type="submit"
              variant="primary"
              isDisabled={passwordForm.formState.isSubmitting}
            >
              Sign in
            </Button>
          </Form>
        ) : (
          <Form
            onSubmit={tokenForm.handleSubmit((v) => submit({ token: v.token }, 'token'))}
            validationBehavior="aria"
          >
            <TextInput
              control={tokenForm.control}
              name="token"
              label="API token"
              type="password"
              autoComplete="off"
            />
            <Button type="submit" variant="primary" isDisabled={tokenForm.formState.isSubmitting}>
              Sign in
            </Button>
          </Form>
        )}
        <div className="sign-in-alt">
          <Button
            variant="plain"
            onPress={() => {
              setBanner(null);
              setWay(way === 'password' ? 'token' : 'password');
            }}
          >
            {way === 'password' ? 'Sign in with an API token' : 'Sign in with e-mail and password'}
          </Button>
        </div>
      </div>
    </main>
  );
}
