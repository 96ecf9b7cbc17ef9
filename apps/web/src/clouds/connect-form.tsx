// "Connect a cloud account": one form whose fields follow the chosen provider, with what that provider needs
// from the person (scopes, policies, the ExternalId) beside the fields that take it.
import { useId, useState } from 'react';
import type { CloudProvider, CredentialSetup, NewCredential, VerificationResult } from '../api.ts';
import {
  FormError,
  SubmitButton,
  TextField,
  fieldMessage,
  fieldProblem,
  formText,
  useSubmit,
} from '../components/form.tsx';
import { useSession } from '../session.tsx';
import { CurrentPasswordField } from '../components/current-password-field.tsx';
import { ProviderSetup } from './provider-setup.tsx';
import { awsRoleArnPattern, cloudProviders, gcpFields, providerName } from './providers.ts';
import { VerificationReport } from './verification-report.tsx';

const providerFields: Record<CloudProvider, string[]> = {
  digitalocean: ['token'],
  hetzner: ['token'],
  aws: ['roleArn'],
  gcp: gcpFields.map(([name]) => `workloadIdentity.${name}`),
};

export function ConnectForm({
  setup,
  withStepUp,
  onAdded,
}: {
  setup: CredentialSetup;
  withStepUp: <T>(action: () => Promise<T>) => Promise<T>;
  onAdded: (result: VerificationResult) => void;
}) {
  const { api } = useSession();
  const [provider, setProvider] = useState<CloudProvider>('digitalocean');
  const [protect, setProtect] = useState(false);
  const [result, setResult] = useState<VerificationResult | null>(null);
  const awsUnavailable = provider === 'aws' && !setup.aws.available;

  const { submitting, error, onSubmit } = useSubmit(async (data, form) => {
    setResult(null);
    const credential = readCredential(provider, data, protect);
    const added = await withStepUp(() => api.addCredential(credential));
    form.reset();
    setProtect(false);
    setResult(added);
    onAdded(added);
  });

  return (
    <>
      <form className="form" onSubmit={onSubmit} aria-labelledby="connect-title">
        <fieldset className="choice">
          <legend>Cloud provider</legend>
          <div className="choice-options">
            {cloudProviders.map((option) => (
              <label key={option} className="choice-option">
                <input
                  type="radio"
                  name="provider"
                  value={option}
                  checked={provider === option}
                  onChange={() => {
                    setProvider(option);
                    setResult(null);
                  }}
                />
                <span>{providerName(option)}</span>
              </label>
            ))}
          </div>
        </fieldset>

        <ProviderSetup provider={provider} setup={setup} />

        {!awsUnavailable && (
          <>
            <FormError error={error} fields={['label', 'password', ...providerFields[provider]]} />
            <TextField
              name="label"
              label="Name for this connection"
              hint="Only for you, to tell connections apart, e.g. “personal” or “team project”."
              required
              maxLength={100}
              autoComplete="off"
              error={error}
            />
            <ProviderFields provider={provider} error={error} />
            <PasswordProtection protect={protect} onChange={setProtect} error={error} />
            <SubmitButton submitting={submitting} busyLabel="Connecting and verifying…">
              Connect {providerName(provider)}
            </SubmitButton>
          </>
        )}
      </form>
      {result && <VerificationReport result={result} />}
    </>
  );
}

function readCredential(provider: CloudProvider, data: FormData, protect: boolean): NewCredential {
  const label = formText(data, 'label').trim();
  if (!label) throw fieldProblem('label', 'Give this connection a name.');
  const protection = protect
    ? { passwordProtected: true, password: formText(data, 'password') }
    : { passwordProtected: false };
  if (protect && !protection.password) throw fieldProblem('password', 'Enter your password to protect it.');
  switch (provider) {
    case 'digitalocean':
    case 'hetzner': {
      const token = formText(data, 'token').trim();
      if (!token) throw fieldProblem('token', 'Paste the API token.');
      return { provider, label, token, ...protection };
    }
    case 'aws': {
      const roleArn = formText(data, 'roleArn').trim();
      if (!awsRoleArnPattern.test(roleArn)) {
        throw fieldProblem(
          'roleArn',
          'Paste the role’s ARN, like arn:aws:iam::123456789012:role/ClawCloud (the stack’s RoleArn output).',
        );
      }
      return { provider, label, roleArn, ...protection };
    }
    case 'gcp': {
      const workloadIdentity: Record<string, string> = {};
      for (const [name, fieldLabel] of gcpFields) {
        const value = formText(data, `workloadIdentity.${name}`).trim();
        if (!value) throw fieldProblem(`workloadIdentity.${name}`, `Enter the ${fieldLabel.toLowerCase()}.`);
        workloadIdentity[name] = value;
      }
      return { provider, label, workloadIdentity, ...protection };
    }
  }
}

// What a token of each provider looks like, so a paste from the wrong place is noticed before it is sent.
const tokenPrefixHint = { digitalocean: 'Starts with dop_v1_. ', hetzner: '' } as const;

function ProviderFields({
  provider,
  error,
}: {
  provider: CloudProvider;
  error: ReturnType<typeof useSubmit>['error'];
}) {
  switch (provider) {
    case 'digitalocean':
    case 'hetzner':
      return (
        <TextField
          key={provider}
          name="token"
          label={`${providerName(provider)} API token`}
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          minLength={8}
          maxLength={512}
          hint={`${tokenPrefixHint[provider]}Stored encrypted; we show only its last four characters.`}
          error={error}
        />
      );
    case 'aws':
      return (
        <TextField
          name="roleArn"
          label="Role ARN"
          autoComplete="off"
          spellCheck={false}
          required
          placeholder="arn:aws:iam::123456789012:role/ClawCloud"
          hint="The RoleArn output of the stack, or the ARN on the role’s page in IAM."
          error={error}
        />
      );
    case 'gcp':
      return (
        <>
          {gcpFields.map(([name, label, example]) => (
            <TextField
              key={name}
              name={`workloadIdentity.${name}`}
              label={label}
              autoComplete="off"
              spellCheck={false}
              required
              maxLength={512}
              placeholder={example}
              error={error}
            />
          ))}
        </>
      );
  }
}

/** Explains the trade-off before the person opts in, and asks for the password only once they have. */
function PasswordProtection({
  protect,
  onChange,
  error,
}: {
  protect: boolean;
  onChange: (protect: boolean) => void;
  error: ReturnType<typeof useSubmit>['error'];
}) {
  const id = useId();
  const checkboxError = protect ? null : fieldMessage(error, 'password');
  return (
    <div className="protect">
      <div className="checkbox">
        <input
          id={id}
          type="checkbox"
          name="passwordProtected"
          checked={protect}
          onChange={(event) => onChange(event.target.checked)}
          aria-describedby={`${id}-explain`}
        />
        <label htmlFor={id}>Protect with my password</label>
      </div>
      <div className="field-hint protect-explain" id={`${id}-explain`}>
        <p>
          The credential is then also locked with your password, so it can be used only while you are signed
          in. Anything that runs in the background (a deployment, a restart) needs you signed in.
        </p>
        <p>
          Changing your password keeps it usable. A password <em>reset</em> (when you have forgotten it) makes
          it unrecoverable: you would connect the account again.
        </p>
      </div>
      {checkboxError && (
        <p className="field-error" role="alert">
          {checkboxError}
        </p>
      )}
      {protect && (
        <>
          <CurrentPasswordField
            label="Your Claw Cloud password"
            hint="Sent with this request to lock the credential; never stored."
            error={error}
          />
        </>
      )}
    </div>
  );
}
