import { useEffect, useRef, type ComponentType } from 'react';
import { matchRoute, redirectFor, type PagePath } from './access.ts';
import { Layout } from './components/layout.tsx';
import { Page } from './components/page.tsx';
import { AccountPage } from './pages/account-page.tsx';
import { ActivityPage } from './pages/activity-page.tsx';
import { CloudsPage } from './pages/clouds-page.tsx';
import { DeployPage } from './pages/deploy-page.tsx';
import { HomePage } from './pages/home-page.tsx';
import { InstancePage } from './pages/instance-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { SignupPage } from './pages/signup-page.tsx';
import { TransparencyPage } from './pages/transparency-page.tsx';
import { href, navigate, useLocation } from './router.ts';
import { useSession } from './session.tsx';

const pages: Record<PagePath, ComponentType<{ params: Record<string, string> }>> = {
  '/': HomePage,
  '/account': AccountPage,
  '/activity': ActivityPage,
  '/clouds': CloudsPage,
  '/deploy': DeployPage,
  '/instances/:id': InstancePage,
  '/login': LoginPage,
  '/signup': SignupPage,
  '/transparency': TransparencyPage,
};

export function App() {
  const location = useLocation();
  const { state } = useSession();
  const redirect = state.status === 'loading' ? null : redirectFor(location, state.status);

  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);
  useFocusOnNavigation(location.path);

  const route = matchRoute(location.path);
  const CurrentPage = route ? pages[route.page] : NotFound;
  return (
    <Layout>
      {state.status === 'loading' || redirect ? (
        <p className="loading" role="status">
          Loading…
        </p>
      ) : (
        <CurrentPage params={route?.params ?? {}} />
      )}
    </Layout>
  );
}

// After a client-side navigation, move focus to the new page's heading so screen readers start there,
// as they would after a full page load. The first load keeps the browser's default focus.
function useFocusOnNavigation(path: string) {
  const shown = useRef(path);
  useEffect(() => {
    if (shown.current === path) return;
    shown.current = path;
    // Wait a frame: the new page renders in this commit, but a redirect may still be on its way.
    requestAnimationFrame(() => document.getElementById('page-title')?.focus());
  }, [path]);
}

function NotFound() {
  return (
    <Page title="Page not found">
      <p>
        There is nothing here. <a href={href('/')}>Go to the start page</a>.
      </p>
    </Page>
  );
}
