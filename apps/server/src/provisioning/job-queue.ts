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
  // Long steps (waiting for a boot) keep their job alive with pg-boss's heartbeat; a worker killed mid-step
  // stops beating and its job is retried once pg-boss's supervisor (every 60 s) sees that, and every step
  // resumes where it was. A restarted control plane does not wait: its start-up reconcile re-sends the job.
  await boss.createQueue(provisioningQueue, {
    retryLimit: 5,
    retryDelay: 5,
    retryBackoff: true,
    heartbeatSeconds: 30,
    expireInSeconds: 60 * 60,
  });
  return boss;
}
