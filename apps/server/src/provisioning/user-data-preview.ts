import { renderCloudInitPreview, type BootstrapProvider } from '@claw/bootstrap';
import type { ProvisioningSettings } from '../config.ts';

/**
 * The exact user-data a new server on `provider` boots with, its per-instance secrets shown as placeholders:
 * what the dashboard shows before Deploy and `claw-cloud render-cloud-init` prints.
 */
export function previewUserData(
  provider: BootstrapProvider,
  config: { publicUrl: string | undefined; provisioning: Pick<ProvisioningSettings, 'agentPackage'> },
): string {
  return renderCloudInitPreview({
    provider,
    controlPlaneUrl: config.publicUrl?.startsWith('https://')
      ? config.publicUrl
      : 'https://claw-cloud.example',
    // Until an agent package is configured, the preview shows the document's shape with a zero pin.
    agentPackage: config.provisioning.agentPackage ?? {
      name: '@claw-cloud/agent',
      version: '0.0.0',
      integrity: `sha512-${'A'.repeat(86)}==`,
    },
  });
}
