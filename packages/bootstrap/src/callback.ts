// The registration callback's settings, read by the agent (apps/agent/src/callback-registration.ts). This is
// the only place in the user-data that carries the one-time registration code (ADR 0007).
import { CALLBACK_CONFIG_PATH } from './layout.ts';
import type { WriteFile } from './write-file.ts';

export const CALLBACK_PATH = '/api/agent/register';

export function callbackConfig(input: {
  controlPlaneUrl: string;
  instanceId: string;
  registrationCode: string;
}): WriteFile {
  const config = {
    url: new URL(CALLBACK_PATH, input.controlPlaneUrl).href,
    instanceId: input.instanceId,
    registrationCode: input.registrationCode,
  };
  // Root-only: systemd hands a copy to the agent (LoadCredential=), nobody else reads it.
  return { path: CALLBACK_CONFIG_PATH, content: `${JSON.stringify(config, null, 2)}\n`, permissions: '0600' };
}
