// The active grant, in the agent's state folder (0600), so its expiry survives an agent or machine restart.
// At most one grant is active: a new one is refused until the current one is revoked or has expired.
import fs from 'node:fs';
import path from 'node:path';
import type { Grant } from './grant.ts';

export type GrantStore = ReturnType<typeof createGrantStore>;

export function createGrantStore(stateDir: string) {
  const dir = path.join(stateDir, 'support');
  const file = path.join(dir, 'grant.json');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });

  return {
    dir,
    load(): Grant | undefined {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')) as Grant;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    /** Write-then-rename: a crash leaves the old file or the new one, never half of one. */
    save(grant: Grant): void {
      const tmp = `${file}.tmp`;
      fs.writeFileSync(tmp, `${JSON.stringify(grant)}\n`, { mode: 0o600 });
      fs.renameSync(tmp, file);
    },
    clear(): void {
      fs.rmSync(file, { force: true });
    },
  };
}
