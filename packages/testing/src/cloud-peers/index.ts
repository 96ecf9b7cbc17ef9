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
