// Largest user-data each provider accepts, in bytes of the raw (not base64) document.
export type BootstrapProvider = 'digitalocean' | 'aws' | 'hetzner';

export const USER_DATA_LIMITS: Readonly<Record<BootstrapProvider, number>> = {
  // docs.digitalocean.com, Droplet user data: 64 KiB.
  digitalocean: 64 * 1024,
  // EC2 RunInstances: 16 KiB before base64 encoding.
  aws: 16 * 1024,
  // Hetzner Cloud API, POST /servers user_data: 32 KiB.
  hetzner: 32 * 1024,
};

export const BOOTSTRAP_PROVIDERS = Object.keys(USER_DATA_LIMITS) as BootstrapProvider[];

/** The smallest limit of all: a document under it fits every provider. */
export const SMALLEST_USER_DATA_LIMIT = Math.min(...Object.values(USER_DATA_LIMITS));
