import { useState, type MouseEvent, type ReactNode } from 'react';
import { asApiError } from '../api.ts';
import { href, useLocation } from '../router.ts';
import { useSession } from '../session.tsx';

export function Layout({ children }: { children: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header className="site-header">
        <div className="site-header-inner">
          <a className="brand" href={href('/')}>
            <img src="/favicon.svg" alt="" width="28" height="28" />
            <span>Claw Cloud</span>
          </a>
          <Navigation />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer className="site-footer">
        <p>
          Your assistant runs in your own cloud account. Chat is never stored or logged.{' '}
          <a href={href('/transparency')}>See exactly what we keep</a>.
        </p>
      </footer>
    </>
  );
}

// A plain "#main" link would be read as a route by the hash router, so move focus by hand.
function skipToMain(event: MouseEvent) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function Navigation() {
  const { state } = useSession();
  if (state.status === 'loading') return <nav className="site-nav" aria-label="Main" />;
  const links: [string, string][] =
    state.status === 'signed-in'
      ? [
          ['/', 'Home'],
          ['/clouds', 'Clouds'],
          ['/activity', 'Activity'],
          ['/account', 'Account'],
          ['/transparency', 'Transparency'],
        ]
      : [
          ['/transparency', 'Transparency'],
          ['/login', 'Log in'],
          ['/signup', 'Sign up'],
        ];
  return (
    <nav className="site-nav" aria-label="Main">
      <ul>
        {links.map(([to, label]) => (
          <li key={to}>
            <NavLink to={to}>{label}</NavLink>
          </li>
        ))}
        {state.status === 'signed-in' && (
          <li>
            <LogoutButton />
          </li>
        )}
      </ul>
    </nav>
  );
}

function NavLink({ to, children }: { to: string; children: ReactNode }) {
  const { path } = useLocation();
  return (
    <a className="nav-link" href={href(to)} aria-current={path === to ? 'page' : undefined}>
      {children}
    </a>
  );
}

function LogoutButton() {
  const { api, signedOut } = useSession();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  // Only forget the session once the server has ended it: a failed log-out must not look like a finished one.
  async function logOut() {
    setBusy(true);
    setFailure(null);
    try {
      await api.logout();
      signedOut('You have logged out.');
    } catch (error) {
      setFailure(`Log out failed: ${asApiError(error).message}`);
      setBusy(false);
    }
  }

  return (
    <>
      <button type="button" className="nav-link nav-button" onClick={logOut} disabled={busy}>
        Log out
      </button>
      <span className="nav-error" role="alert">
        {failure}
      </span>
    </>
  );
}
