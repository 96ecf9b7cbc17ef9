// One copy of a workflow step per instance at a time, across every process on the database. The
// reconciler re-sends the job of each instance mid-flight, and pg-boss retries a killed worker's job once
// its heartbeat is lost, so two workers can be handed the same step at once; the one that holds the lock
// runs it, the other returns at once.
import type { Db } from '@claw/db';
import { describeError, type Logger } from '@claw/logger';

/** The release of a held lock, or null when another copy of the step holds it. */
export type StepLocks = { tryAcquire(key: string): Promise<(() => Promise<void>) | null> };

// Our class of two-key advisory locks ("step"): the two-int4 key space never overlaps the single-bigint
// one (PostgreSQL docs, "Advisory Locks"), so a hash can never collide with the audit chain's lock.
const STEP_LOCK_CLASS = 0x73746570;

type SessionClient = {
  query(text: string, params: unknown[]): Promise<{ rows: { held?: boolean }[] }>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  release(destroy?: boolean): void;
};
type Pool = { connect(): Promise<SessionClient> };

const isPool = (client: unknown): client is Pool =>
  typeof (client as { connect?: unknown }).connect === 'function';

// Per database client, so that every workflow on one pool (or one PGlite) shares the same holders.
const byClient = new WeakMap<object, StepLocks>();

export function stepLocksFor(db: Db, log: Logger): StepLocks {
  // drizzle's handle on the driver: a node-postgres pool, or the embedded PGlite.
  const client = (db as unknown as { $client: object }).$client;
  let locks = byClient.get(client);
  if (!locks) {
    // PGlite needs no more than the process: its data directory is locked to one process
    // (data-dir-lock.ts), and its single session would hold every advisory lock re-entrantly anyway.
    locks = isPool(client) ? sessionLocks(client, log) : processLocks();
    byClient.set(client, locks);
  }
  return locks;
}

function processLocks(): StepLocks {
  const held = new Set<string>();
  return {
    tryAcquire: async (key) => {
      if (held.has(key)) return null;
      held.add(key);
      return async () => {
        held.delete(key);
      };
    },
  };
}

type Session = {
  client: Promise<SessionClient>;
  holders: number;
  broken: boolean;
  lost(error: unknown): void;
};

/**
 * Session advisory locks on one connection of the pool, kept while any step holds a lock and returned
 * when none does. PostgreSQL drops a session's locks when its connection ends, so a SIGKILLed worker's
 * steps are free again at once; a step that finds its lock held returns, and the reconciler re-sends
 * the job of an instance still mid-flight. Advisory locks are re-entrant within a session, so this
 * process's own holders are kept apart in memory first.
 */
function sessionLocks(pool: Pool, log: Logger): StepLocks {
  const local = processLocks();
  let current: Session | undefined;

  function join(): Session {
    if (!current) {
      // A lost connection takes its locks with it: new steps open another session, and this one is
      // destroyed, not returned to the pool, once its holders are done.
      const session: Session = {
        client: pool.connect(),
        holders: 0,
        broken: false,
        lost: (error) => {
          session.broken = true;
          if (current === session) current = undefined;
          log.warn({ event: 'step_locks.lost', ...describeError(error) });
        },
      };
      session.client.then((c) => c.on('error', session.lost), session.lost);
      current = session;
    }
    current.holders++;
    return current;
  }

  function leave(session: Session): void {
    if (--session.holders > 0) return;
    if (current === session) current = undefined;
    session.client.then(
      (c) => {
        c.off('error', session.lost);
        c.release(session.broken);
      },
      () => {},
    );
  }

  const lockSql = (fn: string) => `select ${fn}($1, hashtext($2)) as held`;

  return {
    tryAcquire: async (key) => {
      const releaseLocal = await local.tryAcquire(key);
      if (!releaseLocal) return null;
      const session = join();
      let held = false;
      try {
        const client = await session.client;
        held =
          (await client.query(lockSql('pg_try_advisory_lock'), [STEP_LOCK_CLASS, key])).rows[0]?.held ===
          true;
        if (!held) return null;
        return async () => {
          try {
            await client.query(lockSql('pg_advisory_unlock'), [STEP_LOCK_CLASS, key]);
          } catch {
            // Left held: the connection is destroyed once its holders are done, which frees the lock.
            session.broken = true;
          } finally {
            leave(session);
            await releaseLocal();
          }
        };
      } finally {
        if (!held) {
          leave(session);
          await releaseLocal();
        }
      }
    },
  };
}
