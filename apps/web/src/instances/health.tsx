import { useCallback, useEffect, useState } from 'react';
import { asApiError, type InstanceHealth } from '../api.ts';
import { providerName } from '../clouds/providers.ts';
import { useSession } from '../session.tsx';

export type HealthState = { health: InstanceHealth | null; error: string | null; checking: boolean };

/** Live health, fetched from the instance through the control plane; `check` asks again. */
export function useHealth(instanceId: string): HealthState & { check: () => void } {
  const { api } = useSession();
  const [state, setState] = useState<HealthState>({ health: null, error: null, checking: true });
  const [round, setRound] = useState(0);
  const check = useCallback(() => setRound((n) => n + 1), []);

  useEffect(() => {
    let active = true;
    setState((current) => ({ ...current, checking: true }));
    api.instanceHealth(instanceId).then(
      (health) => active && setState({ health, error: null, checking: false }),
      (error: unknown) =>
        active && setState({ health: null, error: asApiError(error).message, checking: false }),
    );
    return () => {
      active = false;
    };
  }, [api, instanceId, round]);

  return { ...state, check };
}

export function HealthBadge({ state }: { state: HealthState }) {
  if (state.checking && !state.health && !state.error) return <span className="badge">Checking…</span>;
  if (state.error) return <span className="badge badge-failed">Unreachable</span>;
  if (state.health?.ok && state.health.gateway.ready) return <span className="badge badge-ok">Healthy</span>;
  if (state.health?.ok) return <span className="badge badge-warning">Assistant starting</span>;
  return <span className="badge badge-failed">Unhealthy</span>;
}

export function instanceProviderLabel(provider: string): string {
  return provider === 'adopted' ? 'Your own server' : providerName(provider);
}
