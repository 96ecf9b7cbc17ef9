import { useCallback } from 'react';
import { FormError } from '../components/form.tsx';
import { Page, Section } from '../components/page.tsx';
import { AdoptForm } from '../instances/adopt-form.tsx';
import { InstanceList } from '../instances/instance-list.tsx';
import { href } from '../router.ts';
import { useSession, useUser } from '../session.tsx';
import { useFetched } from '../use-fetched.ts';

const promises = [
  ['Your chats stay yours', 'Messages pass through to your assistant and are never stored or logged by us.'],
  ['No access by default', 'Your assistant runs on a server in your own cloud account, not ours.'],
  [
    'Credentials encrypted',
    'Cloud credentials are encrypted at rest and used with the least privilege needed.',
  ],
  [
    'Verifiable',
    'The Transparency page lists every table and log field we keep, straight from the live system.',
  ],
] as const;

export function HomePage() {
  const user = useUser();
  const { api } = useSession();
  const load = useCallback(() => api.instances(), [api]);
  const { data: instances, setData: setInstances, error } = useFetched(load);
  return (
    <Page title="Home" lede={`Signed in as ${user.email}`}>
      <Section id="instances" title="Your instances">
        <FormError error={error} fields={[]} />
        {!instances && !error && (
          <p className="loading" role="status">
            Loading instances…
          </p>
        )}
        {instances && (
          <InstanceList
            instances={instances}
            onRemoved={(id) => setInstances((list) => list?.filter((item) => item.id !== id) ?? null)}
          />
        )}
        <div className="actions instances-deploy">
          <a className="button primary" href={href('/deploy')}>
            Deploy an instance
          </a>
        </div>
        <p className="section-aside">
          Your assistant runs in a cloud account of yours: <a href={href('/clouds')}>connect one</a>.
        </p>
      </Section>
      <Section id="adopt" title="Adopt an existing server">
        <AdoptForm onAdopted={(instance) => setInstances((list) => [...(list ?? []), instance])} />
      </Section>
      <Section id="promises" title="What we promise">
        <ul className="promise-list">
          {promises.map(([title, body]) => (
            <li key={title}>
              <strong>{title}.</strong> {body}
            </li>
          ))}
        </ul>
        <p>
          <a href={href('/transparency')}>Check what we store</a> ·{' '}
          <a href={href('/activity')}>Review your account activity</a>
        </p>
      </Section>
    </Page>
  );
}
