import type { ApiError } from '../api.ts';
import { useUser } from '../session.tsx';
import { TextField } from './form.tsx';

/**
 * The signed-in user's password, asked again to confirm something. Password managers look for the account name
 * beside a password field, so it is there, hidden; it is not sent to the server.
 */
export function CurrentPasswordField({
  name = 'password',
  label = 'Password',
  hint,
  autoFocus = false,
  error,
}: {
  name?: string;
  label?: string;
  hint?: string;
  autoFocus?: boolean;
  error: ApiError | null;
}) {
  const user = useUser();
  return (
    <>
      <input type="text" name="username" autoComplete="username" value={user.email} readOnly hidden />
      <TextField
        name={name}
        label={label}
        type="password"
        autoComplete="current-password"
        required
        autoFocus={autoFocus}
        error={error}
        {...(hint ? { hint } : {})}
      />
    </>
  );
}
