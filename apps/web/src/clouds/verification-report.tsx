import type { VerificationResult, VerificationStatus } from '../api.ts';
import { providerName } from './providers.ts';

export function VerificationBadge({ status }: { status: VerificationStatus }) {
  if (status === 'verified') return <span className="badge badge-ok">Verified</span>;
  if (status === 'failed') return <span className="badge badge-failed">Verification failed</span>;
  return <span className="badge">Not verified</span>;
}

/** What one verification found, in words: announced, since it arrives after a wait. */
export function VerificationReport({ result }: { result: VerificationResult }) {
  const { credential, missing, unverified } = result;
  const { status, reason } = credential.verification;
  const name = `${providerName(credential.provider)} “${credential.label}”`;
  return (
    <div className={`report report-${status}`} role="status" aria-live="polite">
      <p className="report-title">
        {status === 'verified' && `${name} is connected and verified.`}
        {status === 'failed' && `${name} was saved, but verification failed.`}
        {status === 'unverified' && `${name} was saved; it could not be verified yet.`}
      </p>
      {reason && <p>{reason}</p>}
      {missing && missing.length > 0 && (
        <>
          <p>Missing permissions:</p>
          <ul className="chips" aria-label="Missing permissions">
            {missing.map((permission) => (
              <li key={permission}>
                <code>{permission}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      {unverified && unverified.length > 0 && (
        <>
          <p>
            Could not be checked without acting on your account (we never send a delete or create anything to
            test):
          </p>
          <ul className="chips" aria-label="Permissions not checked">
            {unverified.map((permission) => (
              <li key={permission}>
                <code>{permission}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
