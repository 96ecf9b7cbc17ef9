import type { Instance } from '../api.ts';
import { ConfirmAction } from '../components/confirm-action.tsx';
import { href } from '../router.ts';
import { useSession } from '../session.tsx';
import { ServerFacts } from './server-facts.tsx';
import { HealthBadge, instanceProviderLabel, useHealth } from './health.tsx';
import { statusLabel } from './lifecycle.ts';

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
          Deploy one to a cloud account you connected, or, if you already run OpenClaw on a server of yours,
          adopt it below and chat with it from here.
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
  return instance.provider === 'adopted' ? (
    <AdoptedItem instance={instance} onRemoved={onRemoved} />
  ) : (
    <ProvisionedItem instance={instance} onRemoved={onRemoved} />
  );
}

/** A server we created: its status, where it runs; once destroyed, it can be taken off the list. */
function ProvisionedItem({ instance, onRemoved }: { instance: Instance; onRemoved: (id: string) => void }) {
  const { api } = useSession();
  const titleId = `instance-${instance.id}`;
  const link = href(`/instances/${encodeURIComponent(instance.id)}`);
  return (
    <li className="item" aria-labelledby={titleId}>
      <div className="item-head">
        <h3 id={titleId} className="item-title">
          <a href={link}>{instance.name}</a>
        </h3>
        <div className="badges">
          <span className="badge">{statusLabel(instance.status)}</span>
        </div>
      </div>
      <ServerFacts instance={instance} />
      <div className="actions">
        <a className="button small primary" href={link}>
          {instance.status === 'ready' ? 'Open chat' : 'Open'}
        </a>
        {instance.status === 'destroyed' && (
          <ConfirmAction
            trigger="Remove…"
            title={`Remove “${instance.name}”?`}
            confirmLabel="Remove from the list"
            busyLabel="Removing…"
            onConfirm={async () => {
              await api.removeInstance(instance.id);
              onRemoved(instance.id);
            }}
          >
            <p>Its server is already destroyed; this takes it off your list.</p>
          </ConfirmAction>
        )}
      </div>
    </li>
  );
}

function AdoptedItem({ instance, onRemoved }: { instance: Instance; onRemoved: (id: string) => void }) {
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
