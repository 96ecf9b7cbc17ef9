export { startControlPlane, type ControlPlane, type StartOptions } from './control-plane.ts';
export { loadConfig, ConfigError, type Config } from './config.ts';
