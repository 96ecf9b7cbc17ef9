import { useState } from 'react';
import { asApiError, type ApiError, type Instance, type InstanceAction } from '../api.ts';
import { ConfirmAction } from '../components/confirm-action.tsx';
import { FormError } from '../components/form.tsx';
import { providerName } from '../clouds/providers.ts';
import { useSession } from '../session.tsx';
import { canAct } from './lifecycle.ts';

/**
 * Power and destroy for a server we created. Each button is enabled only in the statuses the server accepts
 * it in; all but Start ask first, saying what will happen. `onAccepted` follows the work that follows.
 */
export function InstanceActions({
  instance,
  status,
  busy,
  onAccepted,
}: {
  instance: Instance;
  status: string;
  busy: boolean;
  onAccepted: (action: InstanceAction) => void;
}) {
  const { api } = useSession();
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const cloud = providerName(instance.provider);

  async function act(action: InstanceAction) {
    await api.instanceAction(instance.id, action);
    onAccepted(action);
  }

  async function start() {
    setStarting(true);
    setError(null);
    try {
      await act('start');
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setStarting(false);
    }
  }

  const allowed = (action: InstanceAction) => !busy && canAct(action, status);
  return (
    <div className="instance-actions">
      <FormError error={error} fields={[]} />
      <div className="actions">
        <button
          type="button"
          className="button small secondary"
          onClick={start}
          disabled={!allowed('start') || starting}
          aria-busy={starting}
        >
          {starting ? 'Starting…' : 'Start'}
        </button>
        <ConfirmAction
          trigger="Stop…"
          title={`Stop “${instance.name}”?`}
          confirmLabel="Stop server"
          busyLabel="Stopping…"
          disabled={!allowed('stop')}
          onConfirm={() => act('stop')}
        >
          <p>
            The server shuts down cleanly and your assistant cannot be reached until you start it again.{' '}
            {cloud} may still bill for a stopped server.
          </p>
        </ConfirmAction>
        <ConfirmAction
          trigger="Reboot…"
          title={`Reboot “${instance.name}”?`}
          confirmLabel="Reboot server"
          busyLabel="Rebooting…"
          disabled={!allowed('reboot')}
          onConfirm={() => act('reboot')}
        >
          <p>
            The server restarts; chats in progress are cut off and your assistant is back in a minute or two.
          </p>
        </ConfirmAction>
        <ConfirmAction
          trigger="Destroy…"
          title={`Destroy “${instance.name}”?`}
          confirmLabel="Destroy server"
          busyLabel="Destroying…"
          disabled={!allowed('destroy')}
          onConfirm={() => act('destroy')}
        >
          <p>
            The server, its disk and its firewall are deleted from your {cloud} account, with everything your
            assistant kept on it: its settings and conversations. This cannot be undone.
          </p>
        </ConfirmAction>
      </div>
    </div>
  );
}
