import type { ReactNode } from 'react';
import type { Instance } from '../api.ts';
import { ConfirmAction } from '../components/confirm-action.tsx';
import { href } from '../router.ts';
import { useSession } from '../session.tsx';
import { ServerFacts } from './server-facts.tsx';
import { HealthBadge, instanceProviderLabel, useHealth, type HealthState } from './health.tsx';
import { statusLabel } from './lifecycle.ts';

type ItemProps = { instance: Instance; health: HealthState | null; onRemoved: (id: string) => void };

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
  const Item = instance.provider === 'adopted' ? AdoptedItem : ProvisionedItem;
  // Health is asked of the agent: an adopted server has one from the start, a server we create once ready.
  return instance.provider === 'adopted' || instance.status === 'ready' ? (
    <LiveHealth instanceId={instance.id}>
      {(health) => <Item instance={instance} health={health} onRemoved={onRemoved} />}
    </LiveHealth>
  ) : (
    <Item instance={instance} health={null} onRemoved={onRemoved} />
  );
}

function LiveHealth({
  instanceId,
  children,
}: {
  instanceId: string;
  children: (health: HealthState) => ReactNode;
}) {
  return children(useHealth(instanceId));
}

function Badges({ instance, health }: Pick<ItemProps, 'instance' | 'health'>) {
  return (
    <div className="badges">
      <span className="badge">{statusLabel(instance.status)}</span>
      {health && <HealthBadge state={health} />}
    </div>
  );
}

// Live from the instance when it answers; otherwise the ones it reported last.
function Versions({ instance, health }: Pick<ItemProps, 'instance' | 'health'>) {
  const agentVersion = health?.health?.agentVersion ?? instance.agentVersion;
  const openclawVersion = health?.health?.gateway.version ?? instance.openclawVersion;
  return (
    <div>
      <dt>Versions</dt>
      <dd>
        Agent {agentVersion ?? 'unknown'} · OpenClaw {openclawVersion ?? 'unknown'}
      </dd>
    </div>
  );
}

/**
 * A server we created: its status and health, where it runs, its versions and the price shown at deploy;
 * once destroyed, it can be taken off the list.
 */
function ProvisionedItem({ instance, health, onRemoved }: ItemProps) {
  const { api } = useSession();
  const titleId = `instance-${instance.id}`;
  const link = href(`/instances/${encodeURIComponent(instance.id)}`);
  return (
    <li className="item" aria-labelledby={titleId}>
      <div className="item-head">
        <h3 id={titleId} className="item-title">
          <a href={link}>{instance.name}</a>
        </h3>
        <Badges instance={instance} health={health} />
      </div>
      <ServerFacts instance={instance}>
        <Versions instance={instance} health={health} />
      </ServerFacts>
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

/** A server of the user's own: no cloud, region, size or price of ours to show. */
function AdoptedItem({ instance, health, onRemoved }: ItemProps) {
  const { api } = useSession();
  const titleId = `instance-${instance.id}`;
  return (
    <li className="item" aria-labelledby={titleId}>
      <div className="item-head">
        <h3 id={titleId} className="item-title">
          <a href={href(`/instances/${encodeURIComponent(instance.id)}`)}>{instance.name}</a>
        </h3>
        <Badges instance={instance} health={health} />
      </div>
      <dl className="facts facts-compact">
        <div>
          <dt>Runs on</dt>
          <dd>{instanceProviderLabel(instance.provider)}</dd>
        </div>
        <Versions instance={instance} health={health} />
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
