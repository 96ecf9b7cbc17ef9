// One error type for the support feature; the routes map its code to an HTTP status (support-routes.ts).
export type SupportErrorCode =
  | 'invalid_request'
  | 'not_found'
  | 'grant_active'
  | 'no_active_grant'
  | 'support_user_missing'
  | 'sudo_unavailable'
  | 'sshd_config_invalid'
  | 'sshd_reload_timeout'
  | 'sessions_survived'
  | 'host_keys_unavailable';

export class SupportError extends Error {
  override name = 'SupportError';
  readonly code: SupportErrorCode;
  constructor(code: SupportErrorCode, options?: { cause?: unknown }) {
    super(code, options);
    this.code = code;
  }
}
