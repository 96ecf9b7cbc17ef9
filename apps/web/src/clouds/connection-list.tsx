import { useState } from 'react';
import { absoluteTime } from '../activity-format.ts';
import { asApiError, type ApiError, type Credential, type VerificationResult } from '../api.ts';
import { ConfirmAction } from '../components/confirm-action.tsx';
import { FormError } from '../components/form.tsx';
import { useSession } from '../session.tsx';
import { providerName } from './providers.ts';
import { VerificationBadge, VerificationReport } from './verification-report.tsx';

export function ConnectionList({
  credentials,
  withStepUp,
  onChanged,
  onDeleted,
}: {
  credentials: Credential[];
  withStepUp: <T>(action: () => Promise<T>) => Promise<T>;
  onChanged: (credential: Credential) => void;
  onDeleted: (id: string) => void;
}) {
  if (credentials.length === 0) {
    return (
      <div className="empty-state">
        <p className="empty-state-title">No cloud accounts connected</p>
        <p>Connect one below. Your assistant will run on a server in that account, which stays yours.</p>
      </div>
    );
  }
  return (
    <ul className="item-list" aria-label="Cloud accounts">
      {credentials.map((credential) => (
        <Connection
          key={credential.id}
          credential={credential}
          withStepUp={withStepUp}
          onChanged={onChanged}
          onDeleted={onDeleted}
        />
      ))}
    </ul>
  );
}

function Connection({
  credential,
  withStepUp,
  onChanged,
  onDeleted,
}: {
  credential: Credential;
  withStepUp: <T>(action: () => Promise<T>) => Promise<T>;
  onChanged: (credential: Credential) => void;
  onDeleted: (id: string) => void;
}) {
  const { api } = useSession();
  const [verifying, setVerifying] = useState(false);
  const [result, setResult] = useState<VerificationResult | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const titleId = `credential-${credential.id}`;

  async function verify() {
    setVerifying(true);
    setError(null);
    try {
      const verified = await api.verifyCredential(credential.id);
      setResult(verified);
      onChanged(verified.credential);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setVerifying(false);
    }
  }

  const { verification } = credential;
  return (
    <li className="item" aria-labelledby={titleId}>
      <div className="item-head">
        <h3 id={titleId} className="item-title">
          {credential.label} <span className="muted">· {providerName(credential.provider)}</span>
        </h3>
        <div className="badges">
          <VerificationBadge status={verification.status} />
          {credential.passwordProtected && <span className="badge badge-info">Password-protected</span>}
        </div>
      </div>
      <dl className="facts facts-compact">
        {credential.last4 && (
          <div>
            <dt>Ends in</dt>
            <dd>
              <code>…{credential.last4}</code>
            </dd>
          </div>
        )}
        <div>
          <dt>Connected</dt>
          <dd>
            <time dateTime={credential.createdAt}>{absoluteTime(credential.createdAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Last used</dt>
          <dd>
            {credential.lastUsedAt ? (
              <time dateTime={credential.lastUsedAt}>{absoluteTime(credential.lastUsedAt)}</time>
            ) : (
              'Never'
            )}
          </dd>
        </div>
        <div>
          <dt>Checked</dt>
          <dd>
            {verification.at ? (
              <time dateTime={verification.at}>{absoluteTime(verification.at)}</time>
            ) : (
              'Not yet'
            )}
            {verification.reason && <span className="fact-note">{verification.reason}</span>}
          </dd>
        </div>
      </dl>
      {result && <VerificationReport result={result} />}
      <FormError error={error} fields={[]} />
      <div className="actions">
        <button
          type="button"
          className="button small secondary"
          onClick={verify}
          disabled={verifying}
          aria-busy={verifying}
        >
          {verifying ? 'Verifying…' : 'Verify now'}
        </button>
        <ConfirmAction
          trigger="Delete…"
          title={`Delete “${credential.label}”?`}
          confirmLabel="Delete connection"
          busyLabel="Deleting…"
          onConfirm={async () => {
            await withStepUp(() => api.deleteCredential(credential.id));
            onDeleted(credential.id);
          }}
        >
          <p>
            Claw Cloud forgets this connection and destroys its encrypted copy. Nothing in your{' '}
            {providerName(credential.provider)} account changes; revoke the token or role there too if you no
            longer need it.
          </p>
        </ConfirmAction>
      </div>
    </li>
  );
}
