export {
  BootstrapInputError,
  PLACEHOLDERS,
  renderCloudInit,
  renderCloudInitPreview,
  type BootstrapInput,
} from './render.ts';
export { NODE_VERSION, NPM, OPENCLAW, tarballUrl, type PinnedPackage } from './pins.ts';
export {
  BOOTSTRAP_PROVIDERS,
  SMALLEST_USER_DATA_LIMIT,
  USER_DATA_LIMITS,
  type BootstrapProvider,
} from './providers.ts';
export { CALLBACK_PATH } from './callback.ts';
