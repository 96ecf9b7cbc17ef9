export {
  ProviderError,
  isProviderError,
  type ProviderErrorDetails,
  type ProviderName,
} from './provider-error.ts';
export {
  createHttp,
  parseRetryAfter,
  type Http,
  type HttpDeps,
  type HttpRequest,
  type HttpResponse,
} from './http.ts';
export type { VerifiedAccount, VerifyResult } from './verify-result.ts';
export {
  AGENT_PORT,
  type DestroyResult,
  type InstanceScope,
  type Provisioner,
  type Region,
  type Size,
  type Vm,
  type VmRef,
  type VmSpec,
  type VmStatus,
} from './provisioning.ts';

export {
  DIGITALOCEAN_API_URL,
  createDigitalOceanClient,
  type DigitalOceanClient,
  type DigitalOceanClientOptions,
} from './digitalocean/client.ts';
export {
  DIGITALOCEAN_TAG,
  digitalOceanOperations,
  requiredDigitalOceanScopes,
  type DigitalOceanOperationId,
} from './digitalocean/permissions.ts';
export {
  verifyDigitalOceanToken,
  type DigitalOceanVerifyDeps,
  type DigitalOceanVerifyInput,
} from './digitalocean/verify.ts';
export {
  DIGITALOCEAN_OAUTH_AUTHORIZE_URL,
  DIGITALOCEAN_OAUTH_TOKEN_URL,
  buildAuthorizeUrl,
  exchangeCode,
  refresh,
  type AuthorizeUrlInput,
  type DigitalOceanOAuthTokens,
  type OAuthClientConfig,
} from './digitalocean/oauth.ts';
export {
  createDigitalOceanProvisioner,
  type DigitalOceanProvisionerOptions,
} from './digitalocean/provisioner.ts';

export { generateExternalId, isExternalId } from './aws/external-id.ts';
export {
  MANAGED_BY_TAG,
  ec2Actions,
  permissionPolicy,
  trustPolicy,
  type Ec2Action,
  type PolicyDocument,
} from './aws/permissions.ts';
export {
  cloudFormationQuickCreateUrl,
  cloudFormationTemplate,
  type QuickCreateInput,
} from './aws/cloudformation.ts';
export {
  assumeCustomerRole,
  type AssumeRoleInput,
  type AwsCredentialIdentity,
  type AwsDeps,
  type CustomerSession,
} from './aws/client.ts';
export { verifyAwsRole, type AwsVerifyDeps, type AwsVerifyInput } from './aws/verify.ts';
export {
  INSTANCE_ID_TAG,
  createAwsProvisioner,
  type AwsProvisionerDeps,
  type AwsProvisionerInput,
} from './aws/provisioner.ts';

export {
  HETZNER_API_URL,
  createHetznerClient,
  type HetznerClient,
  type HetznerClientOptions,
} from './hetzner/client.ts';
export {
  HETZNER_LABEL,
  HETZNER_TOKEN_PERMISSION,
  hetznerOperations,
  type HetznerOperationId,
} from './hetzner/permissions.ts';
export { verifyHetznerToken, type HetznerVerifyDeps, type HetznerVerifyInput } from './hetzner/verify.ts';
export { createHetznerProvisioner, type HetznerProvisionerOptions } from './hetzner/provisioner.ts';

export { verifyGcpWorkloadIdentity, type GcpWorkloadIdentityConfig } from './gcp/verify.ts';
