export {
  locateMoto,
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  specsDir,
  type Availability,
  type SpecName,
} from './availability.ts';
export { startMoto, type MotoOptions, type MotoPeer } from './moto.ts';
export { startPrism, type PrismOptions, type PrismPeer } from './prism.ts';
export { deletesBySelector, type Fault, type FaultTarget, type LoggedRequest } from './fake-server.ts';
export type { SpecCheckedFake } from './spec-checked-fake.ts';
export {
  startDigitalOceanFake,
  type DigitalOceanFake,
  type FakeDroplet,
  type FakeFirewall,
  type FakeFirewallRule,
} from './digitalocean-fake.ts';
export {
  startHetznerFake,
  type FakeHetznerFirewall,
  type FakeHetznerRule,
  type FakeHetznerServer,
  type HetznerFake,
} from './hetzner-fake.ts';
export {
  awsDeletesBySelector,
  startRecordingMoto,
  type RecordedAwsRequest,
  type RecordingMotoPeer,
} from './moto-recorder.ts';
export { startAwsFaultProxy, type AwsFaultProxy } from './aws-fault-proxy.ts';
export {
  emulatedProviders,
  emulatorAvailability,
  provisioningEnv,
  startEmulatedCloud,
  TEST_PUBLIC_URL,
  type AccountVm,
  type EmulatedCloud,
  type EmulatedProvider,
  type EmulatedVm,
} from './emulated-cloud.ts';
