import { useCallback } from 'react';
import { FormError } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { DeployWizard } from '../deploy/deploy-wizard.tsx';
import { href } from '../router.ts';
import { useSession } from '../session.tsx';
import { useFetched } from '../use-fetched.ts';

export function DeployPage() {
  const { api } = useSession();
  const load = useCallback(() => api.credentials(), [api]);
  const { data: credentials, error } = useFetched(load);
  return (
    <Page
      title="Deploy an instance"
      lede="A new server in your own cloud account, running your assistant. Nothing is created until you confirm."
    >
      <FormError error={error} fields={[]} />
      {!credentials && !error && (
        <p className="loading" role="status">
          Loading your cloud accounts…
        </p>
      )}
      {credentials && <DeployWizard credentials={credentials} />}
      <p>
        <a href={href('/')}>Cancel</a>
      </p>
    </Page>
  );
}
