// The server's support log, read live through the control plane (which does not keep it). The chain is verified
// on the server; this page also remembers the newest entry it showed, so a log rewritten or cut short since
// then is reported even when its new chain is consistent.
import { useEffect, useRef, useState } from 'react';
import {
  asApiError,
  type Api,
  type ApiError,
  type SupportLog,
  type SupportLogEntry,
  type SupportLogVerification,
} from '../api.ts';
import { absoluteTime } from '../activity-format.ts';
import { FormError } from '../components/form.tsx';
import { useSession } from '../session.tsx';
import { appendPage, groupLog, headStillThere, type SessionView } from './support-log-view.ts';

const headKey = (instanceId: string) => `claw.support-head.${instanceId}`;

function rememberedHead(instanceId: string): { seq: number; hash: string } | null {
  try {
    return JSON.parse(localStorage.getItem(headKey(instanceId)) ?? 'null') as {
      seq: number;
      hash: string;
    } | null;
  } catch {
    return null;
  }
}

const pageSize = 500;
// A bound on one read (pages × pageSize entries); the next read goes on from there.
const maxPages = 40;

/** Reads the entries after `known`, page by page; a log rewritten since is read again from its start. */
async function readNewEntries(api: Api, instanceId: string, known: SupportLogEntry[]) {
  let entries = known;
  let rewritten = false;
  let verification: SupportLogVerification = { ok: true, entries: 0, head: '' };
  for (let page = 0; page < maxPages; page += 1) {
    const read = await api.supportLog(instanceId, entries.at(-1)?.seq ?? 0, pageSize);
    verification = read.verification;
    const appended = appendPage(entries, read.entries);
    if (appended.rewritten) {
      rewritten = true;
      entries = [];
      continue;
    }
    entries = appended.entries;
    if (read.entries.length < pageSize) break;
  }
  return { entries, verification, rewritten };
}

const grantEvents: Record<string, string> = {
  'grant.opened': 'Access opened',
  'grant.revoked': 'Access revoked',
  'grant.expired': 'Access ended by itself',
  'grant.failed': 'Opening access failed',
};

export function SupportLogPanel({
  instanceId,
  version,
  live,
}: {
  instanceId: string;
  /** Changes when the log should be read again. */
  version: number;
  live: boolean;
}) {
  const { api } = useSession();
  const [log, setLog] = useState<SupportLog | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [rewritten, setRewritten] = useState(false);
  const [reads, setReads] = useState(0);

  // What was read so far: each read asks only for what came after it (a live grant re-reads every few seconds).
  const known = useRef<SupportLogEntry[]>([]);

  useEffect(() => {
    let current = true;
    readNewEntries(api, instanceId, known.current).then(
      (read) => {
        if (!current) return;
        const first = known.current.length === 0;
        known.current = read.entries;
        setLog({ entries: read.entries, verification: read.verification });
        setError(null);
        setRewritten(read.rewritten || (first && !headStillThere(read.entries, rememberedHead(instanceId))));
        const newest = read.entries.at(-1);
        if (read.verification.ok && newest) {
          localStorage.setItem(headKey(instanceId), JSON.stringify({ seq: newest.seq, hash: newest.hash }));
        }
      },
      (caught: unknown) => current && setError(asApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, [api, instanceId, version, reads]);

  return (
    <section className="subsection" aria-labelledby="support-log-title">
      <div className="item-head">
        <h3 id="support-log-title">Support log</h3>
        {!live && (
          <button type="button" className="button small secondary" onClick={() => setReads((n) => n + 1)}>
            Read again
          </button>
        )}
      </div>
      <FormError error={error} fields={[]} />
      {log && (log.verification.entries > 0 || !log.verification.ok) && (
        <Verification log={log} rewritten={rewritten} />
      )}
      {log && log.entries.length === 0 && <p>Nobody has been let in yet.</p>}
      {log && (
        <ol className="support-log">
          {groupLog(log.entries).map((item) =>
            item.kind === 'session' ? (
              <SessionBlock key={item.session.id} session={item.session} />
            ) : (
              <GrantEvent key={item.entry.seq} entry={item.entry} />
            ),
          )}
        </ol>
      )}
    </section>
  );
}

function Verification({ log, rewritten }: { log: SupportLog; rewritten: boolean }) {
  const { verification } = log;
  if (!verification.ok) {
    return (
      <p className="notice notice-error" role="alert">
        This log was altered: entry {verification.brokenAt} does not match the chain ({verification.reason}).
      </p>
    );
  }
  if (rewritten) {
    return (
      <p className="notice notice-error" role="alert">
        This log changed since you last read it: an entry you saw is no longer there as it was.
      </p>
    );
  }
  return (
    <p className="notice" role="status">
      Chain verified: {verification.entries} {verification.entries === 1 ? 'entry' : 'entries'}, none altered.
    </p>
  );
}

function GrantEvent({ entry }: { entry: SupportLogEntry }) {
  return (
    <li className="support-event">
      <time dateTime={entry.ts}>{absoluteTime(entry.ts)}</time> {grantEvents[entry.type] ?? entry.type}
    </li>
  );
}

function SessionBlock({ session }: { session: SessionView }) {
  return (
    <li className="support-session">
      <p>
        <strong>Session</strong> <time dateTime={session.startedAt}>{absoluteTime(session.startedAt)}</time>
        {session.keyId && (
          <>
            {' '}
            by <code>{session.keyId}</code>
          </>
        )}
        {session.client && <> from {session.client}</>}
        {session.endedAt ? <> · ended ({session.endReason ?? 'closed'})</> : <> · still open</>}
      </p>
      {session.command !== null && (
        <p>
          Command: <code>{session.command}</code>
        </p>
      )}
      {session.typed.length > 0 && (
        <>
          <p>Typed:</p>
          <pre className="support-typed" aria-label="Typed in the session">
            {session.typed.join('\n')}
          </pre>
        </>
      )}
      {session.output && (
        <details>
          <summary>Terminal output</summary>
          <pre className="support-output">{session.output}</pre>
        </details>
      )}
      {session.truncated && <p>The transcript was cut after 8 MiB; the session went on.</p>}
    </li>
  );
}
