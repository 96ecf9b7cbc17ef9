// DigitalOcean and Hetzner clients may call only the operations listed in their table: the table is what we
// ask permissions for, so a call that is not in it cannot exist.
import type { Http, HttpResponse, Query } from './http.ts';

export type Operation = {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template as written in the provider's OpenAPI spec, e.g. `/v2/droplets/{droplet_id}`. */
  path: string;
  /** Why provisioning needs it (shown in docs and to the user next to the permission). */
  purpose: string;
};

export type CallOptions = {
  params?: Record<string, string | number>;
  query?: Query;
  json?: unknown;
  accept?: readonly number[];
};

export type OperationCaller<K extends string> = <T = unknown>(
  id: K,
  options?: CallOptions,
) => Promise<HttpResponse<T>>;

export function createOperationCaller<K extends string>(
  http: Http,
  table: Readonly<Record<K, Operation>>,
): OperationCaller<K> {
  return (id, options = {}) => {
    const op = table[id];
    return http.request({
      operation: id,
      method: op.method,
      path: expandPath(op.path, options.params ?? {}),
      query: options.query,
      json: options.json,
      accept: options.accept,
    });
  };
}

/** Fills `{name}` placeholders, URL-encoding each value; a missing or empty value is a programming error. */
export function expandPath(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{([a-z_]+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined || value === '')
      throw new Error(`path parameter ${name} missing for ${template}`);
    return encodeURIComponent(String(value));
  });
}
