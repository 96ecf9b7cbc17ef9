import type { Credentials, User } from '../api.ts';
import { useSession } from '../session.tsx';
import { FormError, SubmitButton, TextField, formText, useSubmit } from './form.tsx';

// The sign-in guard in app.tsx moves a freshly signed-in person on to where they were going.
export function CredentialsForm({
  mode,
  authenticate,
}: {
  mode: 'signup' | 'login';
  authenticate: (credentials: Credentials) => Promise<User>;
}) {
  const { signedIn } = useSession();
  const { submitting, error, onSubmit } = useSubmit(async (data) => {
    signedIn(await authenticate({ email: formText(data, 'email'), password: formText(data, 'password') }));
  });
  const signup = mode === 'signup';

  return (
    <form className="card form" onSubmit={onSubmit}>
      <FormError error={error} fields={['email', 'password']} />
      <TextField
        name="email"
        label="Email"
        type="email"
        autoComplete={signup ? 'email' : 'username'}
        required
        maxLength={254}
        error={error}
      />
      <TextField
        name="password"
        label="Password"
        type="password"
        autoComplete={signup ? 'new-password' : 'current-password'}
        required
        {...(signup && {
          minLength: 12,
          maxLength: 256,
          hint: 'At least 12 characters. A few unrelated words make a strong, memorable passphrase.',
        })}
        error={error}
      />
      <SubmitButton submitting={submitting} busyLabel={signup ? 'Creating account…' : 'Logging in…'}>
        {signup ? 'Create account' : 'Log in'}
      </SubmitButton>
    </form>
  );
}
