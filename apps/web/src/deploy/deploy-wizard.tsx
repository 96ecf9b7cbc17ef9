// "Deploy an instance": provider → cloud account → region → size → confirm, one step at a time. Nothing is
// created until the last step's Deploy; the confirmation shows the cost and the exact document the new
// server will run.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import {
  asApiError,
  type ApiError,
  type Credential,
  type DeployOptions,
  type Region,
  type Size,
} from '../api.ts';
import { CopyBlock } from '../components/copy-button.tsx';
import {
  FormError,
  SubmitButton,
  TextField,
  fieldProblem,
  formText,
  useSubmit,
} from '../components/form.tsx';
import { providerName } from '../clouds/providers.ts';
import { href, navigate } from '../router.ts';
import { holdModelSettings } from '../instances/pending-model.ts';
import { MODEL_PROVIDERS, type ModelProvider } from '@claw/openclaw';
import { useSession } from '../session.tsx';
import {
  deployProviders,
  describeSize,
  hourlyPrice,
  monthlyPrice,
  regionsOf,
  sizesIn,
  unusableCount,
  usableConnections,
  type DeployProvider,
} from './deploy-choices.ts';

const stepNames = ['Provider', 'Cloud account', 'Region', 'Size', 'Confirm'] as const;

type Choices = {
  provider: DeployProvider | null;
  credentialId: string | null;
  region: string | null;
  size: string | null;
};

export function DeployWizard({ credentials }: { credentials: Credential[] }) {
  const [step, setStep] = useState(0);
  const [choices, setChoices] = useState<Choices>({
    provider: null,
    credentialId: null,
    region: null,
    size: null,
  });
  const options = useOptions(choices.credentialId);
  const heading = useRef<HTMLHeadingElement>(null);
  const shownStep = useRef(step);

  // Each step is a new view: move focus to its heading so keyboard and screen-reader users start there.
  useEffect(() => {
    if (shownStep.current === step) return;
    shownStep.current = step;
    heading.current?.focus();
  }, [step]);

  // A choice made again clears the ones that depended on it.
  const choose = (change: Partial<Choices>) =>
    setChoices((current) => {
      const next = { ...current, ...change };
      if (change.provider !== undefined && change.provider !== current.provider) next.credentialId = null;
      if (next.credentialId !== current.credentialId) next.region = null;
      if (next.region !== current.region) next.size = null;
      return next;
    });
  const back = () => setStep((n) => Math.max(0, n - 1));
  const forward = () => setStep((n) => n + 1);

  const connection = credentials.find((c) => c.id === choices.credentialId);
  const size = options.data?.sizes.find((s) => s.slug === choices.size);
  const region = options.data?.regions.find((r) => r.slug === choices.region);

  return (
    <section className="card wizard" aria-labelledby="wizard-step-title">
      <ol className="wizard-steps" aria-label="Steps">
        {stepNames.map((name, index) => (
          <li
            key={name}
            className={
              index < step ? 'wizard-step done' : index === step ? 'wizard-step current' : 'wizard-step'
            }
            aria-current={index === step ? 'step' : undefined}
          >
            <span className="wizard-step-number" aria-hidden="true">
              {index + 1}
            </span>
            {name}
          </li>
        ))}
      </ol>
      <h2 id="wizard-step-title" ref={heading} tabIndex={-1}>
        {stepTitles[step]}
      </h2>
      {step === 0 && (
        <ChoiceStep
          name="provider"
          legend="Cloud provider"
          value={choices.provider}
          onBack={null}
          onNext={forward}
          missing="Choose where your server will run."
          options={deployProviders.map((provider) => ({
            value: provider,
            label: providerName(provider),
            detail: countLabel(usableConnections(credentials, provider).length),
          }))}
          onChange={(provider) => choose({ provider })}
        />
      )}
      {step === 1 && choices.provider && (
        <ConnectionStep
          credentials={credentials}
          provider={choices.provider}
          value={choices.credentialId}
          onChange={(credentialId) => choose({ credentialId })}
          onBack={back}
          onNext={forward}
        />
      )}
      {step === 2 && (
        <Loaded options={options}>
          {(loaded) => (
            <ChoiceStep
              name="region"
              legend="Region"
              hint="Where the server runs. Pick one near you for quicker replies."
              value={choices.region}
              onBack={back}
              onNext={forward}
              missing="Choose a region."
              options={regionsOf(loaded).map((r) => ({ value: r.slug, label: r.name, detail: r.slug }))}
              onChange={(slug) => choose({ region: slug })}
            />
          )}
        </Loaded>
      )}
      {step === 3 && choices.region && (
        <Loaded options={options}>
          {(loaded) => (
            <ChoiceStep
              name="size"
              legend="Size"
              hint="The smallest size is enough for one person’s assistant."
              value={choices.size}
              onBack={back}
              onNext={forward}
              missing="Choose a size."
              list
              options={sizesIn(loaded, choices.region ?? '').map((s) => ({
                value: s.slug,
                label: s.slug,
                detail: `${describeSize(s)} · ${monthlyPrice(s)} (${hourlyPrice(s)})`,
                badge: s.priceIsEstimate ? 'estimate' : undefined,
              }))}
              onChange={(slug) => choose({ size: slug })}
            />
          )}
        </Loaded>
      )}
      {step === 4 && choices.provider && connection && region && size && (
        <ConfirmStep
          provider={choices.provider}
          connection={connection}
          region={region}
          size={size}
          onBack={back}
        />
      )}
    </section>
  );
}

const stepTitles = [
  '1. Choose a cloud provider',
  '2. Choose a cloud account',
  '3. Choose a region',
  '4. Choose a size',
  '5. Confirm and deploy',
] as const;

function countLabel(n: number): string {
  return n === 0
    ? 'No usable account connected'
    : n === 1
      ? '1 account connected'
      : `${n} accounts connected`;
}

type OptionsState = { data: DeployOptions | null; error: ApiError | null };

/** Regions and sizes of the chosen connection, asked of the provider once per connection. */
function useOptions(credentialId: string | null): OptionsState {
  const { api } = useSession();
  const [state, setState] = useState<OptionsState & { for: string | null }>({
    data: null,
    error: null,
    for: null,
  });
  useEffect(() => {
    if (!credentialId) return;
    let active = true;
    setState({ data: null, error: null, for: credentialId });
    api.deployOptions(credentialId).then(
      (data) => active && setState({ data, error: null, for: credentialId }),
      (error: unknown) => active && setState({ data: null, error: asApiError(error), for: credentialId }),
    );
    return () => {
      active = false;
    };
  }, [api, credentialId]);
  return state.for === credentialId ? state : { data: null, error: null };
}

function Loaded({
  options,
  children,
}: {
  options: OptionsState;
  children: (options: DeployOptions) => ReactNode;
}) {
  if (options.error) return <FormError error={options.error} fields={[]} />;
  if (!options.data) {
    return (
      <p className="loading" role="status">
        Asking your cloud for its regions, sizes and prices…
      </p>
    );
  }
  return <>{children(options.data)}</>;
}

type Option<T extends string> = { value: T; label: string; detail?: string; badge?: string | undefined };

/** One step: a group of radio buttons, with Back and Continue; Continue without a choice says what is missing. */
function ChoiceStep<T extends string>({
  name,
  legend,
  hint,
  options,
  value,
  onChange,
  onBack,
  onNext,
  missing,
  list = false,
  before,
}: {
  name: string;
  legend: string;
  hint?: string;
  options: Option<T>[];
  value: T | null;
  onChange: (value: T) => void;
  onBack: (() => void) | null;
  onNext: () => void;
  missing: string;
  list?: boolean;
  before?: ReactNode;
}) {
  const id = useId();
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!value) return setError(missing);
    onNext();
  }

  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ');
  return (
    <form className="form" onSubmit={submit} noValidate>
      {before}
      <fieldset
        className="choice"
        aria-describedby={describedBy || undefined}
        aria-invalid={error ? true : undefined}
      >
        <legend>{legend}</legend>
        {hint && (
          <p className="field-hint" id={`${id}-hint`}>
            {hint}
          </p>
        )}
        <div className={list ? 'choice-options choice-list' : 'choice-options'}>
          {options.map((option) => (
            <label key={option.value} className="choice-option">
              <input
                type="radio"
                name={name}
                value={option.value}
                checked={value === option.value}
                onChange={() => {
                  onChange(option.value);
                  setError(null);
                }}
              />
              <span className="choice-text">
                <span className="choice-label">
                  {option.label}
                  {option.badge && <span className="badge badge-info">{option.badge}</span>}
                </span>
                {option.detail && <span className="choice-detail">{option.detail}</span>}
              </span>
            </label>
          ))}
        </div>
        <p className="field-error" id={`${id}-error`} aria-live="polite">
          {error}
        </p>
      </fieldset>
      <StepButtons onBack={onBack} />
    </form>
  );
}

function StepButtons({ onBack, children }: { onBack: (() => void) | null; children?: ReactNode }) {
  return (
    <div className="actions wizard-buttons">
      {children ?? (
        <button type="submit" className="button primary">
          Continue
        </button>
      )}
      {onBack && (
        <button type="button" className="button secondary" onClick={onBack}>
          Back
        </button>
      )}
    </div>
  );
}

function ConnectionStep({
  credentials,
  provider,
  value,
  onChange,
  onBack,
  onNext,
}: {
  credentials: Credential[];
  provider: DeployProvider;
  value: string | null;
  onChange: (id: string) => void;
  onBack: () => void;
  onNext: () => void;
}) {
  const usable = usableConnections(credentials, provider);
  const left = unusableCount(credentials, provider);
  const leftOut =
    left > 0 ? (
      <p className="notice notice-warning">
        {left === 1 ? 'One connection is' : `${left} connections are`} not shown: only verified connections
        without a password can deploy, because the work goes on in the background. Check them on{' '}
        <a href={href('/clouds')}>Cloud accounts</a>.
      </p>
    ) : null;
  if (usable.length === 0) {
    return (
      <div className="empty-state">
        <p className="empty-state-title">No {providerName(provider)} account to deploy with</p>
        {leftOut}
        <p>
          <a href={href('/clouds')}>Connect a {providerName(provider)} account</a> first, then come back here.
        </p>
        <StepButtons onBack={onBack}>{null}</StepButtons>
      </div>
    );
  }
  return (
    <ChoiceStep
      name="credentialId"
      legend={`${providerName(provider)} account`}
      hint="The server is created in this account, and billed to it."
      value={value}
      onBack={onBack}
      onNext={onNext}
      missing="Choose the account to deploy in."
      before={leftOut}
      options={usable.map((c) => ({
        value: c.id,
        label: c.label,
        detail: c.last4 ? `token ending in ${c.last4}` : undefined,
      }))}
      onChange={onChange}
    />
  );
}

function ConfirmStep({
  provider,
  connection,
  region,
  size,
  onBack,
}: {
  provider: DeployProvider;
  connection: Credential;
  region: Region;
  size: Size;
  onBack: () => void;
}) {
  const { api } = useSession();
  const { submitting, error, onSubmit } = useSubmit(async (data) => {
    const name = formText(data, 'name').trim();
    if (!name) throw fieldProblem('name', 'Give your instance a name.');
    if (formText(data, 'modelKey').trim() && !/^\S+$/.test(formText(data, 'modelName').trim())) {
      throw fieldProblem('modelName', 'With a key, also name the default model (one id, without spaces).');
    }
    const deployed = await api.deploy({
      name,
      credentialId: connection.id,
      region: region.slug,
      size: size.slug,
    });
    const apiKey = formText(data, 'modelKey').trim();
    if (apiKey) {
      holdModelSettings(deployed.id, {
        provider: formText(data, 'modelProvider') as ModelProvider,
        model: formText(data, 'modelName').trim(),
        apiKey,
        ...(formText(data, 'modelBaseUrl').trim() ? { baseUrl: formText(data, 'modelBaseUrl').trim() } : {}),
      });
    }
    navigate(`/instances/${encodeURIComponent(deployed.id)}`);
  });
  const cloud = providerName(provider);
  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Confirm and deploy">
      <FormError error={error} fields={['name', 'modelName']} />
      <TextField
        name="name"
        label="Name"
        hint="Only for you, to tell your instances apart."
        defaultValue="my-assistant"
        required
        maxLength={64}
        autoComplete="off"
        error={error}
      />
      <details className="subsection">
        <summary>Your assistant’s model key (optional, now or later)</summary>
        <p className="field-hint">
          It stays in this tab’s memory until the server is ready, then goes straight to your server through
          the encrypted pipe; Claw Cloud never stores it. If you close this page first, the instance page asks
          for it.
        </p>
        <div className="field">
          <label htmlFor="model-provider-new">Provider</label>
          <select id="model-provider-new" name="modelProvider" defaultValue="anthropic">
            {MODEL_PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p === 'custom' ? 'OpenAI-compatible' : p}
              </option>
            ))}
          </select>
        </div>
        <TextField name="modelName" label="Default model" autoComplete="off" maxLength={200} error={error} />
        <TextField
          name="modelBaseUrl"
          label="Base URL (OpenAI-compatible only)"
          autoComplete="off"
          maxLength={512}
          error={error}
        />
        <TextField
          name="modelKey"
          label="API key"
          type="password"
          autoComplete="off"
          maxLength={512}
          error={error}
        />
      </details>
      <dl className="facts summary" aria-label="Summary">
        <div>
          <dt>Cloud</dt>
          <dd>{cloud}</dd>
        </div>
        <div>
          <dt>Account</dt>
          <dd>{connection.label}</dd>
        </div>
        <div>
          <dt>Region</dt>
          <dd>
            {region.name} (<code>{region.slug}</code>)
          </dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>
            <code>{size.slug}</code> · {describeSize(size)}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>
            <strong className="price">{monthlyPrice(size)}</strong>{' '}
            {size.priceIsEstimate && <span className="badge badge-info">estimate</span>}
            <span className="fact-note">
              About {hourlyPrice(size)}, billed by {cloud} to your account
              {size.priceIsEstimate ? '; our estimate, not a quote from the provider' : ''}. Claw Cloud
              charges nothing for the server.
            </span>
          </dd>
        </div>
      </dl>
      <BootstrapPreview provider={provider} />
      <StepButtons onBack={onBack}>
        <SubmitButton submitting={submitting} busyLabel="Deploying…">
          Deploy
        </SubmitButton>
      </StepButtons>
    </form>
  );
}

/** The exact cloud-init document, fetched when the person opens it. */
function BootstrapPreview({ provider }: { provider: DeployProvider }) {
  const { api } = useSession();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    if (!open || text !== null) return;
    let active = true;
    api.bootstrapPreview(provider).then(
      (loaded) => active && setText(loaded),
      (caught: unknown) => active && setError(asApiError(caught)),
    );
    return () => {
      active = false;
    };
  }, [api, provider, open, text]);
  return (
    <details className="disclosure preview" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>See exactly what will run on your server</summary>
      <p>
        This is the whole <code>#cloud-config</code> document your new server gets at its first boot, byte for
        byte, except two values unique to it, shown as placeholders. It holds no key or password of ours.{' '}
        <a href={href('/transparency')}>What we store</a>.
      </p>
      <FormError error={error} fields={[]} />
      {text === null && !error && (
        <p className="loading" role="status">
          Loading…
        </p>
      )}
      {text !== null && <CopyBlock text={text} title="cloud-init user-data" label="Copy" />}
    </details>
  );
}
