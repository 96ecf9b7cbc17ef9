// A valid input for the tests: canary values that must appear exactly where they belong.
import type { BootstrapInput } from './render.ts';

export const REGISTRATION_CODE = 'RegCodeCanary_7f3a9c2e41d8';
export const INSTANCE_ID = 'inst_canary_42';

export function testInput(overrides: Partial<BootstrapInput> = {}): BootstrapInput {
  return {
    provider: 'aws',
    controlPlaneUrl: 'https://claw.example.com',
    instanceId: INSTANCE_ID,
    registrationCode: REGISTRATION_CODE,
    agentPackage: {
      name: '@claw-cloud/agent',
      version: '0.1.0',
      integrity: `sha512-${'A'.repeat(86)}==`,
    },
    ...overrides,
  };
}
