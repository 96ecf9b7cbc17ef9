import { useEffect, useRef, useState } from 'react';
import {
  FormError,
  SubmitButton,
  TextField,
  fieldProblem,
  formText,
  useSubmit,
} from '../components/form.tsx';
import { Page, Section } from '../components/page.tsx';
import { useSession, useUser } from '../session.tsx';
import { CurrentPasswordField } from '../components/current-password-field.tsx';

const planNames = { free: 'Free', pro: 'Pro', team: 'Team' } as const;

export function AccountPage() {
  const user = useUser();
  return (
    <Page title="Account">
      <Section id="profile" title="Profile">
        <dl className="facts">
          <div>
            <dt>Email</dt>
            <dd>{user.email}</dd>
          </div>
          <div>
            <dt>Plan</dt>
            <dd>{planNames[user.plan]}</dd>
          </div>
          <div>
            <dt>Member since</dt>
            <dd>
              <time dateTime={user.createdAt}>
                {new Date(user.createdAt).toLocaleDateString(undefined, { dateStyle: 'long' })}
              </time>
            </dd>
          </div>
        </dl>
      </Section>
      <Section id="password" title="Change password">
        <ChangePasswordForm />
      </Section>
      <Section id="sessions" title="Sessions">
        <SignOutEverywhere />
      </Section>
      <Section id="delete" title="Delete account" tone="danger">
        <DeleteAccount />
      </Section>
    </Page>
  );
}

function ChangePasswordForm() {
  const { api } = useSession();
  const [changed, setChanged] = useState(false);
  const { submitting, error, onSubmit } = useSubmit(async (data, form) => {
    setChanged(false);
    const newPassword = formText(data, 'newPassword');
    if (newPassword !== formText(data, 'confirmPassword')) {
      throw fieldProblem('confirmPassword', 'The two new passwords do not match.');
    }
    await api.changePassword({ currentPassword: formText(data, 'currentPassword'), newPassword });
    form.reset();
    setChanged(true);
  });

  return (
    <form className="form" onSubmit={onSubmit}>
      <FormError error={error} fields={['currentPassword', 'newPassword', 'confirmPassword']} />
      <CurrentPasswordField name="currentPassword" label="Current password" error={error} />
      <TextField
        name="newPassword"
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        minLength={12}
        maxLength={256}
        hint="At least 12 characters."
        error={error}
      />
      <TextField
        name="confirmPassword"
        label="Confirm new password"
        type="password"
        autoComplete="new-password"
        required
        error={error}
      />
      <p className="form-success" role="status">
        {changed && 'Password changed. Every other session has been signed out.'}
      </p>
      <SubmitButton submitting={submitting} busyLabel="Changing password…">
        Change password
      </SubmitButton>
    </form>
  );
}

function SignOutEverywhere() {
  const { api, signedOut } = useSession();
  const { submitting, error, onSubmit } = useSubmit(async () => {
    await api.logoutAll();
    signedOut('You have been signed out on every device, including this one.');
  });

  return (
    <form className="form" onSubmit={onSubmit}>
      <p>Lost a device or used a shared computer? End every session of your account, including this one.</p>
      <FormError error={error} fields={[]} />
      <SubmitButton submitting={submitting} busyLabel="Signing out…" variant="secondary">
        Sign out everywhere
      </SubmitButton>
    </form>
  );
}

function DeleteAccount() {
  const [confirming, setConfirming] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);

  // Cancelling removes the focused form; put focus back on the button that opened it.
  useEffect(() => {
    if (wasConfirming.current && !confirming) trigger.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  if (confirming) return <DeleteAccountConfirmation onCancel={() => setConfirming(false)} />;
  return (
    <>
      <p>Permanently delete your account and everything stored with it.</p>
      <button
        ref={trigger}
        type="button"
        className="button danger-outline"
        onClick={() => setConfirming(true)}
      >
        Delete account…
      </button>
    </>
  );
}

function DeleteAccountConfirmation({ onCancel }: { onCancel: () => void }) {
  const { api, signedOut } = useSession();
  const { submitting, error, onSubmit } = useSubmit(async (data) => {
    await api.deleteAccount(formText(data, 'password'));
    signedOut('Your account and everything stored with it have been deleted.');
  });

  return (
    <form className="form confirm" onSubmit={onSubmit} aria-labelledby="delete-confirm-title">
      <h3 id="delete-confirm-title">Delete your account permanently?</h3>
      <p>This deletes, immediately and for good:</p>
      <ul>
        <li>your account: email address and password</li>
        <li>every signed-in session, on every device</li>
        <li>your activity history</li>
      </ul>
      <p>It cannot be undone. Enter your password to confirm.</p>
      <FormError error={error} fields={['password']} />
      <CurrentPasswordField autoFocus error={error} />
      <div className="actions">
        <SubmitButton submitting={submitting} busyLabel="Deleting account…" variant="danger">
          Delete my account
        </SubmitButton>
        <button type="button" className="button secondary" onClick={onCancel} disabled={submitting}>
          Cancel
        </button>
      </div>
    </form>
  );
}
