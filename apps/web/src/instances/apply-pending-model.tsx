// Sends the model key the user entered in the deploy wizard to the new server, once it is ready.
import { useEffect, useRef, useState } from 'react';
import { MODEL_SETTINGS_SCOPES, setModelProvider } from '@claw/openclaw';
import { useGateway } from '../chat/use-gateway.ts';
import { takeModelSettings } from './pending-model.ts';

export function ApplyPendingModel({
  instanceId,
  onUnreachable,
  onDone,
}: {
  instanceId: string;
  onUnreachable: () => void;
  /** Sent or failed: either way the chat can now read what the server has. */
  onDone: () => void;
}) {
  const { state } = useGateway(instanceId, { scopes: MODEL_SETTINGS_SCOPES, onUnreachable });
  const [outcome, setOutcome] = useState<'sending' | 'sent' | 'failed'>('sending');
  const sent = useRef(false);
  useEffect(() => {
    if (state.phase !== 'open' || sent.current) return;
    sent.current = true;
    const settings = takeModelSettings(instanceId);
    if (!settings) {
      setOutcome('failed');
      return onDone();
    }
    setModelProvider(state.client, settings)
      .then(
        () => setOutcome('sent'),
        () => setOutcome('failed'),
      )
      .finally(onDone);
  }, [state, instanceId, onDone]);
  return (
    <p className={`notice ${outcome === 'failed' ? 'notice-warning' : ''}`} role="status">
      {outcome === 'sending' && 'Sending the model key you entered to your new server…'}
      {outcome === 'sent' && 'Your model key is now on your server. Claw Cloud kept no copy.'}
      {outcome === 'failed' && 'The model key could not be set; enter it again under Assistant settings.'}
    </p>
  );
}
