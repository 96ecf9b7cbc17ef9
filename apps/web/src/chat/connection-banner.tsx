import type { GatewayState } from './use-gateway.ts';

/** Says what the connection is doing, per close code, and offers to reconnect when it will not on its own. */
export function ConnectionBanner({ state, reconnect }: { state: GatewayState; reconnect: () => void }) {
  let text: string | null = null;
  let tone = 'info';
  let button: string | null = null;
  if (state.phase === 'connecting') {
    text = state.notice ? `${state.notice.message} Reconnecting…` : 'Connecting to your assistant…';
    tone = state.notice ? 'warning' : 'info';
  } else if (state.phase === 'waiting') {
    text = `${state.notice.message} Reconnecting in ${state.seconds} s…`;
    tone = 'warning';
    button = 'Reconnect now';
  } else if (state.phase === 'closed') {
    text = state.notice.message;
    tone = state.notice.action === 'on-use' ? 'info' : 'error';
    button = 'Reconnect';
  }
  return (
    <div className="banner-region" role="status">
      {text && (
        <div className={`banner banner-${tone}`}>
          <p>{text}</p>
          {button && (
            <button type="button" className="button small secondary" onClick={reconnect}>
              {button}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
