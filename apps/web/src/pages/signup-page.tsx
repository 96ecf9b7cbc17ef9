import { CredentialsForm } from '../components/credentials-form.tsx';
import { Page } from '../components/page.tsx';
import { href } from '../router.ts';
import { useSession } from '../session.tsx';

export function SignupPage() {
  const { api } = useSession();
  return (
    <Page
      title="Create your account"
      lede="Run your own OpenClaw assistant on a server in your own cloud account. Your chats are never stored."
      narrow
    >
      <CredentialsForm mode="signup" authenticate={api.signup} />
      <p className="form-aside">
        Already have an account? <a href={href('/login')}>Log in</a>
      </p>
    </Page>
  );
}
