import { useCallback, useRef, useState, type KeyboardEvent } from 'react';
import { ChatPanel } from '../chat/chat-panel.tsx';
import type { Instance } from '../api.ts';
import { FormError } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { ApplyPendingModel } from '../instances/apply-pending-model.tsx';
import { AssistantSettings } from '../instances/assistant-settings.tsx';
import { hasPendingModelSettings } from '../instances/pending-model.ts';
import { HealthBadge, instanceProviderLabel, useHealth, type HealthState } from '../instances/health.tsx';
import { InstanceActions } from '../instances/instance-actions.tsx';
import { statusLabel } from '../instances/lifecycle.ts';
import { ProgressSteps, useProgress } from '../instances/progress.tsx';
import { ServerFacts } from '../instances/server-facts.tsx';
import { href, navigate, useLocation } from '../router.ts';
import { SupportAccess } from '../support/support-access.tsx';
import { useSession } from '../session.tsx';
import { useFetched } from '../use-fetched.ts';

const tabs = [
  ['chat', 'Chat'],
  ['settings', 'Assistant settings'],
  ['support', 'Support access'],
] as const;
type Tab = (typeof tabs)[number][0];

export function InstancePage({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const { api } = useSession();
  const load = useCallback(() => api.instance(id), [api, id]);
  const { data: instance, error } = useFetched(load);

  if (error) {
    return (
      <Page title="Instance">
        <FormError error={error} fields={[]} />
        <p>
          <a href={href('/')}>Back to your instances</a>
        </p>
      </Page>
    );
  }
  if (!instance) {
    return (
      <p className="loading" role="status">
        Loading the instance…
      </p>
    );
  }
  return (
    <Page title={instance.name} lede={<a href={href('/')}>← All instances</a>}>
      {instance.provider === 'adopted' ? (
        <Assistant instance={instance} />
      ) : (
        <ProvisionedInstance instance={instance} />
      )}
    </Page>
  );
}

/** A server we created: its status live, the work under way, its actions; the assistant once it is ready. */
function ProvisionedInstance({ instance }: { instance: Instance }) {
  const { api } = useSession();
  const progress = useProgress(api.progressUrl(instance.id), instance.status);
  return (
    <>
      <section className="card" aria-labelledby="server-title">
        <div className="item-head">
          <h2 id="server-title">Server</h2>
          <div className="badges">
            <span className="badge">{statusLabel(progress.status)}</span>
          </div>
        </div>
        <ServerFacts instance={instance} />
        <ProgressSteps progress={progress} />
        {progress.status !== 'destroyed' && (
          <InstanceActions
            instance={instance}
            status={progress.status}
            busy={progress.pending !== null}
            onAccepted={progress.expect}
          />
        )}
      </section>
      {progress.status === 'ready' && <Assistant instance={{ ...instance, status: progress.status }} />}
    </>
  );
}

/** A reachable assistant: its health, then chat and settings. */
function Assistant({ instance }: { instance: Instance }) {
  const health = useHealth(instance.id);
  // Read once: the pending settings are taken when sent, and the notice must stay.
  const [pendingModel] = useState(() => hasPendingModelSettings(instance.id));
  // The chat opened while the key was on its way has read "no model": it opens again once the key is there.
  const [modelSends, setModelSends] = useState(0);
  const modelSent = useCallback(() => setModelSends((n) => n + 1), []);
  return (
    <>
      <section className="card" aria-labelledby="health-title">
        <div className="item-head">
          <h2 id="health-title">Health</h2>
          <div className="badges">
            <span className="badge">{statusLabel(instance.status)}</span>
            <HealthBadge state={health} />
          </div>
        </div>
        <HealthFacts health={health} instance={instance} />
        <button
          type="button"
          className="button small secondary"
          onClick={health.check}
          disabled={health.checking}
          aria-busy={health.checking}
        >
          {health.checking ? 'Checking…' : 'Check again'}
        </button>
      </section>
      {pendingModel && (
        <ApplyPendingModel instanceId={instance.id} onUnreachable={health.check} onDone={modelSent} />
      )}
      <InstanceTabs key={modelSends} instanceId={instance.id} onUnreachable={health.check} />
    </>
  );
}

// Versions come live from the instance; while it is unreachable, the ones it reported last are shown.
function HealthFacts({ health, instance }: { health: HealthState; instance: Instance }) {
  const { agentUrl } = instance;
  return (
    <>
      {health.error && (
        <p className="notice notice-warning" role="alert">
          {health.error}
        </p>
      )}
      <dl className="facts facts-compact">
        <div>
          <dt>Runs on</dt>
          <dd>{instanceProviderLabel(instance.provider)}</dd>
        </div>
        {agentUrl && (
          <div>
            <dt>Agent</dt>
            <dd>
              <code>{agentUrl}</code>
            </dd>
          </div>
        )}
        <div>
          <dt>Agent version</dt>
          <dd>{health.health?.agentVersion ?? instance.agentVersion ?? 'unknown'}</dd>
        </div>
        <div>
          <dt>OpenClaw version</dt>
          <dd>{health.health?.gateway.version ?? instance.openclawVersion ?? 'unknown'}</dd>
        </div>
        <div>
          <dt>Assistant</dt>
          <dd>
            {health.health
              ? health.health.gateway.ready
                ? 'Ready'
                : 'Starting'
              : health.checking
                ? 'Checking…'
                : 'Not reachable'}
          </dd>
        </div>
      </dl>
    </>
  );
}

/** WAI-ARIA tabs; the chosen tab is in the address (?tab=settings), so a link can open it. */
function InstanceTabs({ instanceId, onUnreachable }: { instanceId: string; onUnreachable: () => void }) {
  const { query } = useLocation();
  const current: Tab = tabs.find(([tab]) => tab === query.get('tab'))?.[0] ?? 'chat';
  const buttons = useRef<Partial<Record<Tab, HTMLButtonElement | null>>>({});
  const base = `/instances/${encodeURIComponent(instanceId)}`;

  function select(tab: Tab, focus = false) {
    navigate(tab === 'chat' ? base : `${base}?tab=${tab}`, { replace: true });
    if (focus) buttons.current[tab]?.focus();
  }

  function onKeyDown(event: KeyboardEvent) {
    const index = tabs.findIndex(([tab]) => tab === current);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = tabs[(index + step + tabs.length) % tabs.length];
    if (next) select(next[0], true);
  }

  return (
    <div className="card tabs-card">
      <div className="tabs" role="tablist" aria-label="Instance" onKeyDown={onKeyDown}>
        {tabs.map(([tab, label]) => (
          <button
            key={tab}
            ref={(element) => {
              buttons.current[tab] = element;
            }}
            type="button"
            role="tab"
            id={`tab-${tab}`}
            className="tab"
            aria-selected={current === tab}
            aria-controls={`panel-${tab}`}
            tabIndex={current === tab ? 0 : -1}
            onClick={() => select(tab)}
          >
            {label}
          </button>
        ))}
      </div>
      <div className="tab-panel" role="tabpanel" id={`panel-${current}`} aria-labelledby={`tab-${current}`}>
        {current === 'chat' && <ChatPanel instanceId={instanceId} onUnreachable={onUnreachable} />}
        {current === 'settings' && (
          <AssistantSettings instanceId={instanceId} onUnreachable={onUnreachable} />
        )}
        {current === 'support' && <SupportAccess instanceId={instanceId} />}
      </div>
    </div>
  );
}
