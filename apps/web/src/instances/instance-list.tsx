import type { Instance } from '../api.ts';
import { ConfirmAction } from '../components/confirm-action.tsx';
import { href } from '../router.ts';
import { useSession } from '../session.tsx';
import { HealthBadge, instanceProviderLabel, statusLabel, useHealth } from './health.tsx';

export function InstanceList({
  instances,
  onRemoved,
}: {
  instances: Instance[];
  onRemoved: (id: string) => void;
}) {
  if (instances.length === 0) {
    return (
      <div className="empty-state">
        <p className="empty-state-title">No instances yet</p>
        <p>
          Already run OpenClaw on a server of yours? Adopt it below and chat with it from here. Deploying to a
          connected cloud account comes in a later release.
        </p>
      </div>
    );
  }
  return (
    <ul className="item-list" aria-label="Instances">
      {instances.map((instance) => (
        <InstanceItem key={instance.id} instance={instance} onRemoved={onRemoved} />
      ))}
    </ul>
  );
}

function InstanceItem({ instance, onRemoved }: { instance: Instance; onRemoved: (id: string) => void }) {
  const { api } = useSession();
  const health = useHealth(instance.id);
  const titleId = `instance-${instance.id}`;
  const agentVersion = health.health?.agentVersion ?? instance.agentVersion;
  const openclawVersion = health.health?.gateway.version ?? instance.openclawVersion;
  return (
    <li className="item" aria-labelledby={titleId}>
      <div className="item-head">
        <h3 id={titleId} className="item-title">
          <a href={href(`/instances/${encodeURIComponent(instance.id)}`)}>{instance.name}</a>
        </h3>
        <div className="badges">
          <span className="badge">{statusLabel(instance.status)}</span>
          <HealthBadge state={health} />
        </div>
      </div>
      <dl className="facts facts-compact">
        <div>
          <dt>Runs on</dt>
          <dd>{instanceProviderLabel(instance.provider)}</dd>
        </div>
        <div>
          <dt>Versions</dt>
          <dd>
            Agent {agentVersion ?? 'unknown'} · OpenClaw {openclawVersion ?? 'unknown'}
          </dd>
        </div>
      </dl>
      <div className="actions">
        <a className="button small primary" href={href(`/instances/${encodeURIComponent(instance.id)}`)}>
          Open chat
        </a>
        <ConfirmAction
          trigger="Remove…"
          title={`Remove “${instance.name}”?`}
          confirmLabel="Remove instance"
          busyLabel="Removing…"
          onConfirm={async () => {
            await api.removeInstance(instance.id);
            onRemoved(instance.id);
          }}
        >
          <p>
            Claw Cloud forgets this server and can no longer reach it. The server, its assistant and its
            conversations are untouched. To adopt it again later, stop its agent, delete{' '}
            <code>credential.sha256</code> from the agent’s state folder and start it for a new code.
          </p>
        </ConfirmAction>
      </div>
    </li>
  );
}
