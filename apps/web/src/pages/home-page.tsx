import { Page, Section } from '../components/page.tsx';
import { href } from '../router.ts';
import { useUser } from '../session.tsx';

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
  return (
    <Page title="Home" lede={`Signed in as ${user.email}`}>
      <Section id="instances" title="Your instances">
        <div className="empty-state">
          <p className="empty-state-title">No instances yet</p>
          <p>
            Instances come in a later release. You will connect your own cloud account and run your OpenClaw
            assistant on a server you own, then chat with it from here.
          </p>
        </div>
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
