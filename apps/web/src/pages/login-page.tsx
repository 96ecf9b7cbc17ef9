import { CredentialsForm } from '../components/credentials-form.tsx';
import { Page } from '../components/page.tsx';
import { href } from '../router.ts';
import { useSession } from '../session.tsx';

export function LoginPage() {
  const { api, state } = useSession();
  const notice = state.status === 'signed-out' ? state.notice : null;
  return (
    <Page title="Log in" narrow>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <CredentialsForm mode="login" authenticate={api.login} />
      <p className="form-aside">
        New to Claw Cloud? <a href={href('/signup')}>Create an account</a>
      </p>
    </Page>
  );
}
