import { useCallback } from 'react';
import { ConnectForm } from '../clouds/connect-form.tsx';
import { ConnectionList } from '../clouds/connection-list.tsx';
import { FormError } from '../components/form.tsx';
import { Page, Section } from '../components/page.tsx';
import { useStepUp } from '../components/step-up.tsx';
import { useSession } from '../session.tsx';
import { useFetched } from '../use-fetched.ts';

export function CloudsPage() {
  const { api } = useSession();
  const loadCredentials = useCallback(() => api.credentials(), [api]);
  const loadSetup = useCallback(() => api.credentialSetup(), [api]);
  const { data: credentials, setData: setCredentials, error } = useFetched(loadCredentials);
  const { data: setup, error: setupError } = useFetched(loadSetup);
  const { withStepUp, prompt } = useStepUp();

  return (
    <Page
      title="Cloud accounts"
      lede="The cloud accounts your assistant can run in. Tokens are encrypted, and never shown again."
    >
      <Section id="connections" title="Your connections">
        <FormError error={error} fields={[]} />
        {!credentials && !error && (
          <p className="loading" role="status">
            Loading connections…
          </p>
        )}
        {credentials && (
          <ConnectionList
            credentials={credentials}
            withStepUp={withStepUp}
            onChanged={(changed) =>
              setCredentials((list) => list?.map((item) => (item.id === changed.id ? changed : item)) ?? null)
            }
            onDeleted={(id) => setCredentials((list) => list?.filter((item) => item.id !== id) ?? null)}
          />
        )}
      </Section>
      <Section id="connect" title="Connect a cloud account">
        <FormError error={setupError} fields={[]} />
        {!setup && !setupError && (
          <p className="loading" role="status">
            Loading…
          </p>
        )}
        {setup && (
          <ConnectForm
            setup={setup}
            withStepUp={withStepUp}
            onAdded={({ credential }) => setCredentials((list) => [...(list ?? []), credential])}
          />
        )}
      </Section>
      {prompt}
    </Page>
  );
}
