import { fromPglite, PgBoss } from 'pg-boss';
import type { Database } from '@claw/db';
import { describeError, type Logger } from '@claw/logger';

export const provisioningQueue = 'instance-provisioning';

/** What a provisioning job carries: ids and an action, never content (the job table is visible at /transparency). */
export type ProvisioningJob = {
  instanceId: string;
  action: 'create' | 'stop' | 'start' | 'reboot' | 'destroy';
};

/** pg-boss on our own database: the embedded PGlite client, or the server's URL. */
export async function startJobQueue(database: Database, log: Logger): Promise<PgBoss> {
  const boss = new PgBoss(
    database.connection.kind === 'pglite'
      ? { db: fromPglite(database.connection.client), backend: 'pglite' }
      : { connectionString: database.connection.url },
  );
  boss.on('error', (error) => log.error({ event: 'jobs.error', ...describeError(error) }));
  await boss.start();
  // A worker killed mid-step leaves its job active until it expires; then it runs again, and every step resumes.
  await boss.createQueue(provisioningQueue, {
    retryLimit: 5,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: 20 * 60,
  });
  return boss;
}
