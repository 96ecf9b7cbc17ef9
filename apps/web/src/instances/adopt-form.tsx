import type { Instance } from '../api.ts';
import { FormError, SubmitButton, TextField, formText, useSubmit } from '../components/form.tsx';
import { useSession } from '../session.tsx';

/** "Bring your own server": the three details the agent prints at its first start (docs/agent.md). */
export function AdoptForm({ onAdopted }: { onAdopted: (instance: Instance) => void }) {
  const { api } = useSession();
  const { submitting, error, onSubmit } = useSubmit(async (data, form) => {
    const instance = await api.adoptInstance({
      name: formText(data, 'name').trim(),
      agentUrl: formText(data, 'agentUrl').trim(),
      fingerprint: formText(data, 'fingerprint').trim(),
      registrationCode: formText(data, 'registrationCode').trim(),
    });
    form.reset();
    onAdopted(instance);
  });

  return (
    <form className="form" onSubmit={onSubmit} aria-labelledby="adopt-title">
      <p>
        Install the Claw Cloud agent beside your OpenClaw gateway. At its first start it prints three lines,{' '}
        <code>URL:</code>, <code>Fingerprint:</code> and <code>Code:</code>; paste them here. We check that
        the server presents exactly that certificate before sending it anything.
      </p>
      <FormError error={error} fields={['name', 'agentUrl', 'fingerprint', 'registrationCode']} />
      <TextField
        name="name"
        label="Name"
        required
        maxLength={64}
        autoComplete="off"
        hint="Only for you, e.g. “home server”."
        error={error}
      />
      <TextField
        name="agentUrl"
        label="Agent URL"
        type="url"
        inputMode="url"
        required
        maxLength={512}
        autoComplete="off"
        spellCheck={false}
        placeholder="https://203.0.113.10:3000"
        hint="The URL line: https, your server’s public address and the agent’s port."
        error={error}
      />
      <TextField
        name="fingerprint"
        label="Certificate fingerprint"
        required
        maxLength={200}
        autoComplete="off"
        spellCheck={false}
        placeholder="3A:…:9F"
        hint="The Fingerprint line: the SHA-256 of the agent’s own certificate."
        error={error}
      />
      <TextField
        name="registrationCode"
        label="Registration code"
        required
        maxLength={200}
        autoComplete="off"
        spellCheck={false}
        hint="The Code line. It works once and expires after an hour; restart the agent for a new one."
        error={error}
      />
      <SubmitButton submitting={submitting} busyLabel="Checking the server and adopting…">
        Adopt server
      </SubmitButton>
    </form>
  );
}
