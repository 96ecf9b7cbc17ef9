import { useCallback, useState } from 'react';
import { asApiError, type AuditPage } from '../api.ts';
import { absoluteTime, describeEvent, relativeTime } from '../activity-format.ts';
import { FormError } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { useSession } from '../session.tsx';
import { useFetched } from '../use-fetched.ts';

const pageSize = 20;

export function ActivityPage() {
  const { api } = useSession();
  const firstPage = useCallback(() => api.audit({ limit: pageSize }), [api]);
  const { data: feed, setData: setFeed, error, setError } = useFetched(firstPage);
  const [loadingMore, setLoadingMore] = useState(false);
  const [announcement, setAnnouncement] = useState('');

  async function loadMore(current: AuditPage) {
    setLoadingMore(true);
    setError(null);
    try {
      const page = await api.audit({ limit: pageSize, cursor: current.nextCursor });
      setFeed({ events: [...current.events, ...page.events], nextCursor: page.nextCursor });
      setAnnouncement(`Loaded ${page.events.length} older ${page.events.length === 1 ? 'event' : 'events'}.`);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setLoadingMore(false);
    }
  }

  const now = new Date();
  return (
    <Page title="Activity" lede="Sign-ins and account changes, newest first. Chat content is never recorded.">
      <FormError error={error} fields={[]} />
      {!feed && !error && (
        <p className="loading" role="status">
          Loading activity…
        </p>
      )}
      {feed && feed.events.length === 0 && <p className="card empty-state">No activity yet.</p>}
      {feed && feed.events.length > 0 && (
        <ol className="card event-list" aria-label="Account activity">
          {feed.events.map((event) => (
            <li key={event.id} className="event">
              <div className="event-head">
                <span className="event-name">{describeEvent(event)}</span>
                <Outcome outcome={event.outcome} />
              </div>
              <time className="event-time" dateTime={event.at} title={absoluteTime(event.at)}>
                {absoluteTime(event.at)} <span className="muted">({relativeTime(event.at, now)})</span>
              </time>
              <p className="event-meta">
                {/* The server keeps only a coarse client: browser family and system, and the network. */}
                {event.client.userAgent ?? 'Unknown browser'} · {event.client.ip ?? 'unknown network'} ·{' '}
                <span className="request-id">ref {event.requestId}</span>
              </p>
            </li>
          ))}
        </ol>
      )}
      {feed?.nextCursor && (
        <button
          type="button"
          className="button secondary load-more"
          onClick={() => loadMore(feed)}
          disabled={loadingMore}
          aria-busy={loadingMore}
        >
          {loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
    </Page>
  );
}

function Outcome({ outcome }: { outcome: string }) {
  if (outcome === 'ok') return <span className="badge badge-ok">Succeeded</span>;
  if (outcome === 'failed') return <span className="badge badge-failed">Failed</span>;
  return <span className="badge">{outcome}</span>;
}
