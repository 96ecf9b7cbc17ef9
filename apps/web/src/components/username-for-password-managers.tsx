import { useUser } from '../session.tsx';

// Password managers look for the account name beside a password form; it is not sent to the server.
export function UsernameForPasswordManagers() {
  const user = useUser();
  return <input type="text" name="username" autoComplete="username" value={user.email} readOnly hidden />;
}
