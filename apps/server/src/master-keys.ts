import { join } from 'node:path';
import { keyRingFromEnv, openKeyRingFile, type KeyRing } from '@claw/vault';
import type { Config } from './config.ts';

export type MasterKeys = { keyRing: KeyRing; created: boolean; path: string | null };

/**
 * The master key ring: from CLAW_MASTER_KEYS on a server deployment, otherwise from a key file
 * under the data directory that the first run generates (0600). Never a built-in default.
 */
export async function openMasterKeys(
  config: Config,
  env: Record<string, string | undefined>,
): Promise<MasterKeys> {
  const fromEnv = keyRingFromEnv(env);
  if (fromEnv) return { keyRing: fromEnv, created: false, path: null };
  const file = await openKeyRingFile(join(config.dataDir, 'master-keys.json'));
  return { keyRing: file.keyRing, created: file.created, path: file.path };
}
