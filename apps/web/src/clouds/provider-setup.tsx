// What each provider needs from the person, straight from GET /api/credentials/setup: the exact DigitalOcean
// scopes, this user's AWS ExternalId and policies, Hetzner's only permission, GCP's federation settings.
import type { CloudProvider, CredentialSetup } from '../api.ts';
import { CopyBlock, CopyButton } from '../components/copy-button.tsx';

export function ProviderSetup({ provider, setup }: { provider: CloudProvider; setup: CredentialSetup }) {
  switch (provider) {
    case 'digitalocean':
      return <DigitalOceanSetup scopes={setup.digitalocean.scopes} />;
    case 'aws':
      return <AwsSetup aws={setup.aws} />;
    case 'hetzner':
      return <HetznerSetup permission={setup.hetzner.permission} />;
    case 'gcp':
      return <GcpSetup />;
  }
}

function DigitalOceanSetup({ scopes }: { scopes: string[] }) {
  return (
    <div className="setup">
      <h3>Create a token with only the scopes we need</h3>
      <ol className="steps">
        <li>
          In the DigitalOcean control panel, open <strong>API</strong> → <strong>Tokens</strong> and choose{' '}
          <strong>Generate New Token</strong>.
        </li>
        <li>
          Name it (for example “Claw Cloud”), pick an expiry, and under <strong>Scopes</strong> choose{' '}
          <strong>Custom Scopes</strong>.
        </li>
        <li>Tick exactly these {scopes.length} scopes, nothing more:</li>
      </ol>
      <CopyBlock title="Required scopes" label="Copy scopes" text={scopes.join('\n')} />
      <p className="field-hint">
        We only create, manage and delete Droplets and firewalls we tagged <code>claw-cloud</code>. Delete
        scopes cannot be checked without deleting something, so verification lists them as not checked.
      </p>
    </div>
  );
}

function AwsSetup({ aws }: { aws: CredentialSetup['aws'] }) {
  if (!aws.available) {
    return (
      <div className="setup">
        <p className="notice" role="status">
          AWS connections are not enabled on this Claw Cloud.
        </p>
      </div>
    );
  }
  const template = JSON.stringify(aws.cloudFormationTemplate, null, 2);
  return (
    <div className="setup">
      <h3>Let Claw Cloud assume a role in your account</h3>
      <p>
        We never ask for access keys. You create a role that our platform may assume only with your
        ExternalId, and that may act only on EC2 resources tagged <code>ManagedBy=claw-cloud</code>.
      </p>
      <div className="field field-wide">
        <label htmlFor="aws-external-id">Your ExternalId</label>
        <p className="field-hint" id="aws-external-id-hint">
          Generated for you; it stops anyone else from pointing us at your role.
        </p>
        <div className="input-with-button">
          <input
            id="aws-external-id"
            value={aws.externalId}
            readOnly
            aria-describedby="aws-external-id-hint"
            spellCheck={false}
          />
          <CopyButton text={aws.externalId} label="Copy ExternalId" />
        </div>
      </div>
      <ol className="steps">
        <li>
          <strong>Quickest:</strong> in the AWS console open <strong>CloudFormation</strong> →{' '}
          <strong>Create stack</strong> → <strong>Upload a template file</strong>, upload the template below
          and enter your ExternalId as its parameter. The stack’s output <code>RoleArn</code> is what you
          paste here.
        </li>
        <li>
          <strong>Or by hand</strong> in IAM: create a role with the trust policy and permission policy below.
        </li>
      </ol>
      <div className="actions">
        <a
          className="button small secondary"
          download="claw-cloud-role.json"
          href={`data:application/json;charset=utf-8,${encodeURIComponent(template)}`}
        >
          Download the CloudFormation template
        </a>
        <CopyButton text={template} label="Copy the template" />
      </div>
      <details className="disclosure">
        <summary>Trust policy (who may assume the role)</summary>
        <CopyBlock
          title="Trust policy"
          label="Copy trust policy"
          text={JSON.stringify(aws.trustPolicy, null, 2)}
        />
      </details>
      <details className="disclosure">
        <summary>Permission policy (what the role may do)</summary>
        <CopyBlock
          title="Permission policy"
          label="Copy permission policy"
          text={JSON.stringify(aws.permissionPolicy, null, 2)}
        />
      </details>
    </div>
  );
}

function HetznerSetup({ permission }: { permission: string }) {
  return (
    <div className="setup">
      <h3>Create a project token</h3>
      <ol className="steps">
        <li>
          In the Hetzner Cloud Console, we advise a <strong>new project used only by Claw Cloud</strong>.
        </li>
        <li>
          In that project open <strong>Security</strong> → <strong>API tokens</strong> →{' '}
          <strong>Generate API token</strong> with the <strong>{permission}</strong> permission.
        </li>
      </ol>
      <p className="field-hint">
        Hetzner has no finer permissions: a {permission} token reaches everything in its project. We only
        touch servers and firewalls we labelled <code>managed-by=claw-cloud</code>, and delete only by id, but
        a project of its own keeps your other servers out of reach entirely.
      </p>
    </div>
  );
}

function GcpSetup() {
  return (
    <div className="setup">
      <h3>Workload Identity Federation</h3>
      <p>
        Google Cloud connects through Workload Identity Federation, so there is no long-lived key to hold:{' '}
        <strong>service-account keys are not accepted</strong>. Enter your pool’s settings below.
      </p>
      <p className="field-hint">
        We check the settings’ shape now. Deploying to Google Cloud comes in a later release, together with
        the exact roles it needs.
      </p>
    </div>
  );
}
