// Who is signed in, as far as this tab knows. The cookie is HttpOnly, so the server is asked once on load
// and told nothing else: every sign-in and sign-out goes through the API and then updates this state.
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, createApi, type Api, type User } from './api.ts';
import { navigate } from './router.ts';

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-in'; user: User }
  | { status: 'signed-out'; notice: string | null };

type Session = {
  state: SessionState;
  api: Api;
  signedIn: (user: User) => void;
  /** Forget the session locally and go to Log in, showing `notice` there; `returnTo` is where to continue. */
  signedOut: (notice?: string, returnTo?: string) => void;
};

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const api = useMemo(
    () =>
      createApi({
        onSessionEnded: () =>
          setState((current) =>
            current.status === 'signed-in'
              ? { status: 'signed-out', notice: 'Your session has ended. Please log in again.' }
              : current,
          ),
      }),
    [],
  );

  useEffect(() => {
    let active = true;
    api.me().then(
      (user) => active && setState({ status: 'signed-in', user }),
      (error: unknown) => {
        if (!active) return;
        // 401 is the ordinary signed-out answer; anything else is worth telling the person about.
        const unreachable = !(error instanceof ApiError && error.status === 401);
        setState({
          status: 'signed-out',
          notice: unreachable ? 'Claw Cloud could not be reached. Please try again in a moment.' : null,
        });
      },
    );
    return () => {
      active = false;
    };
  }, [api]);

  const session = useMemo<Session>(
    () => ({
      state,
      api,
      signedIn: (user) => setState({ status: 'signed-in', user }),
      signedOut: (notice, returnTo) => {
        navigate(returnTo ? `/login?next=${encodeURIComponent(returnTo)}` : '/login');
        setState({ status: 'signed-out', notice: notice ?? null });
      },
    }),
    [state, api],
  );

  return <SessionContext value={session}>{children}</SessionContext>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession must be used inside <SessionProvider>');
  return session;
}

/** For pages behind the sign-in guard, which only render with a user. */
export function useUser(): User {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useUser needs a signed-in session');
  return state.user;
}
