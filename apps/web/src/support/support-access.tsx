// Support access as the user controls it (docs/support-access.md): closed by default; opened for a chosen
// time after a fresh password confirmation; one click closes it at once; what was done is read live from the
// server's own log (SupportLogPanel).
import { useCallback, useEffect, useState } from 'react';
import { absoluteTime } from '../activity-format.ts';
import { asApiError, type ApiError, type SupportGrant, type SupportState } from '../api.ts';
import { FormError, SubmitButton, useSubmit } from '../components/form.tsx';
import { useStepUp } from '../components/step-up.tsx';
import { useSession } from '../session.tsx';
import { countdown } from './support-log-view.ts';
import { SupportLogPanel } from './support-log.tsx';

const durations = [
  [3600, '1 hour'],
  [4 * 3600, '4 hours'],
  [8 * 3600, '8 hours'],
  [24 * 3600, '24 hours (the longest allowed)'],
] as const;

const endings: Record<Exclude<SupportGrant['state'], 'active'>, string> = {
  revoked: 'You revoked it',
  expired: 'It ended by itself',
  gone: 'The server was destroyed',
};

// While access is open the state is re-read often: sessions come and go, and the end must show at once.
const activePollMs = 5_000;

export function SupportAccess({ instanceId }: { instanceId: string }) {
  const { api } = useSession();
  const [state, setState] = useState<SupportState | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [logVersion, setLogVersion] = useState(0);

  const refresh = useCallback(async () => {
    try {
      setState(await api.supportState(instanceId));
      setError(null);
    } catch (caught) {
      setError(asApiError(caught));
    }
  }, [api, instanceId]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const active = state?.grant?.state === 'active';
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void refresh().then(() => setLogVersion((v) => v + 1)), activePollMs);
    return () => clearInterval(timer);
  }, [active, refresh]);

  const changed = (grant: SupportGrant) => {
    setState((current) => (current ? { ...current, grant } : current));
    setLogVersion((v) => v + 1);
    void refresh();
  };

  if (!state) {
    return error ? (
      <FormError error={error} fields={[]} />
    ) : (
      <p className="loading" role="status">
        Loading support access…
      </p>
    );
  }
  if (!state.available) {
    return <p>Support access is not offered by this Claw Cloud: nobody can be let into your server.</p>;
  }
  return (
    <div className="support">
      <FormError error={error} fields={[]} />
      {active && state.grant ? (
        <ActiveGrant
          instanceId={instanceId}
          grant={state.grant}
          liveSessions={state.liveSessions}
          onRevoked={changed}
        />
      ) : (
        <>
          {state.grant && <PastGrant grant={state.grant} />}
          <GrantForm instanceId={instanceId} caFingerprint={state.caFingerprint} onGranted={changed} />
        </>
      )}
      <SupportLogPanel instanceId={instanceId} version={logVersion} live={active} />
    </div>
  );
}

function GrantForm({
  instanceId,
  caFingerprint,
  onGranted,
}: {
  instanceId: string;
  caFingerprint: string | null;
  onGranted: (grant: SupportGrant) => void;
}) {
  const { api } = useSession();
  const { withStepUp, prompt } = useStepUp('opening your server to support needs your password again');
  const { submitting, error, onSubmit } = useSubmit(async (data) => {
    const grant = await withStepUp(() =>
      api.grantSupport(instanceId, {
        durationSeconds: Number(data.get('duration')),
        admin: data.get('admin') === 'on',
      }),
    );
    onGranted(grant);
  });
  // The password prompt is a form of its own, so it sits beside this one, not inside it.
  return (
    <>
      <form className="form" onSubmit={onSubmit} aria-labelledby="grant-title">
        <h3 id="grant-title">Let support into this server</h3>
        <p>
          Nobody at Claw Cloud can log in to your server. If you ask us for help, you can open access here for
          a limited time. A support engineer then logs in as the account <code>claw-support</code> with a
          short-lived certificate from our support authority
          {caFingerprint && (
            <>
              {' '}
              (<code>{caFingerprint}</code>)
            </>
          )}
          , only until the end you choose. You can revoke it at any moment; open sessions end at once.
        </p>
        <p>
          <strong>What is recorded, on your server:</strong> every support session's start and end, a
          transcript of its terminal (what was shown) and every command line as it was typed. Programs those
          commands start are not listed on their own. We do not keep this record; it is read from your server
          when you look.
        </p>
        <FormError error={error} fields={['durationSeconds', 'admin']} />
        <div className="field">
          <label htmlFor="support-duration">For how long</label>
          <select id="support-duration" name="duration" defaultValue={String(24 * 3600)}>
            {durations.map(([seconds, label]) => (
              <option key={seconds} value={seconds}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="protect">
          <div className="checkbox">
            <input id="support-admin" type="checkbox" name="admin" aria-describedby="support-admin-explain" />
            <label htmlFor="support-admin">Allow administrator rights (sudo)</label>
          </div>
          <p className="field-hint protect-explain" id="support-admin-explain">
            Needed to change system settings or restart services. With it, the engineer could also alter the
            record; without it, they cannot.
          </p>
        </div>
        <SubmitButton submitting={submitting} busyLabel="Opening…">
          Grant support access
        </SubmitButton>
      </form>
      {prompt}
    </>
  );
}

function ActiveGrant({
  instanceId,
  grant,
  liveSessions,
  onRevoked,
}: {
  instanceId: string;
  grant: SupportGrant;
  liveSessions: number | null;
  onRevoked: (grant: SupportGrant) => void;
}) {
  const { api } = useSession();
  const [now, setNow] = useState(() => Date.now());
  const [revoking, setRevoking] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const end = new Date(grant.notAfter);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  async function revoke() {
    setRevoking(true);
    setError(null);
    try {
      onRevoked(await api.revokeSupport(instanceId, grant.id));
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setRevoking(false);
    }
  }

  return (
    <section aria-labelledby="active-title">
      <div className="item-head">
        <h3 id="active-title">Support access is open</h3>
        <span className="badge badge-warning">Active</span>
      </div>
      <FormError error={error} fields={[]} />
      <dl className="facts facts-compact">
        <div>
          <dt>Ends in</dt>
          <dd>
            <span role="timer" aria-label="Time left">
              {countdown(end.getTime(), now)}
            </span>{' '}
            (at {absoluteTime(grant.notAfter)})
          </dd>
        </div>
        <div>
          <dt>Rights</dt>
          <dd>{grant.admin ? 'Administrator (sudo)' : 'Ordinary account, no sudo'}</dd>
        </div>
        <div>
          <dt>Sessions now</dt>
          <dd>{liveSessions ?? 'unknown (server not reachable)'}</dd>
        </div>
        <div>
          <dt>Certificate principal</dt>
          <dd>
            <code>{grant.principal}</code>
          </dd>
        </div>
      </dl>
      <button
        type="button"
        className="button danger"
        onClick={() => void revoke()}
        disabled={revoking}
        aria-busy={revoking}
      >
        {revoking ? 'Revoking…' : 'Revoke now'}
      </button>
    </section>
  );
}

function PastGrant({ grant }: { grant: SupportGrant }) {
  if (grant.state === 'active') return null;
  const at = absoluteTime(grant.endedAt ?? grant.notAfter);
  return (
    <p className="notice" role="status">
      Support access is closed. {endings[grant.state]} ({at}).
    </p>
  );
}
