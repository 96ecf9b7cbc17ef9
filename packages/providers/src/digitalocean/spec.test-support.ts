// Test support: reads the official DigitalOcean spec (multi-file, `$ref`s resolved only as far as we need)
// and emulates DigitalOcean's scope enforcement in front of Prism, which does not check scopes itself.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

type SpecOperation = { security?: Array<Record<string, string[]>>; operationId?: string };
type PathItem = Record<string, { $ref?: string } | undefined>;

export type DigitalOceanSpec = {
  /** The spec's operation for `METHOD /path/template`, or undefined when the spec has none. */
  operation(method: string, pathTemplate: string): SpecOperation | undefined;
  /** Union of the `bearer_auth` scopes the spec requires for the operation. */
  scopes(method: string, pathTemplate: string): string[];
  /**
   * Scopes named by a "Requires `…` scope(s)" sentence anywhere in the operation's file or the files it
   * reaches through `$ref` (parameters, request and response models): what some fields need beyond `scopes`.
   */
  mentionedScopes(method: string, pathTemplate: string): string[];
  pathTemplates(): string[];
  /** The `pattern` of a property of a schema file (path relative to the spec folder). */
  schemaPattern(schemaFile: string, property: string): string;
};

export function loadDigitalOceanSpec(entryFile: string): DigitalOceanSpec {
  const dir = path.dirname(entryFile);
  const root = parse(fs.readFileSync(entryFile, 'utf8')) as { paths: Record<string, PathItem> };
  const cache = new Map<string, SpecOperation>();

  const operation = (method: string, pathTemplate: string): SpecOperation | undefined => {
    const entry = root.paths[pathTemplate]?.[method.toLowerCase()];
    if (!entry) return undefined;
    if (!entry.$ref) return entry as SpecOperation;
    const file = path.resolve(dir, entry.$ref);
    let op = cache.get(file);
    if (!op) {
      op = parse(fs.readFileSync(file, 'utf8')) as SpecOperation;
      cache.set(file, op);
    }
    return op;
  };

  return {
    operation,
    scopes(method, pathTemplate) {
      const op = operation(method, pathTemplate);
      if (!op) throw new Error(`spec has no ${method} ${pathTemplate}`);
      return [...new Set((op.security ?? []).flatMap((req) => req.bearer_auth ?? []))].sort();
    },
    mentionedScopes(method, pathTemplate) {
      const entry = root.paths[pathTemplate]?.[method.toLowerCase()]?.$ref;
      if (!entry) throw new Error(`spec has no file for ${method} ${pathTemplate}`);
      const scopes = new Set<string>();
      for (const text of reachableTexts(path.resolve(dir, entry))) {
        for (const [sentence] of text.matchAll(/requires [^.]*?scopes?\b/gi)) {
          for (const [, scope] of sentence.matchAll(/`([a-z_]+:[a-z_]+)`/g)) scopes.add(scope as string);
        }
      }
      return [...scopes].sort();
    },
    pathTemplates: () => Object.keys(root.paths),
    schemaPattern(schemaFile, property) {
      const schema = parse(fs.readFileSync(path.resolve(dir, schemaFile), 'utf8')) as {
        properties?: Record<string, { pattern?: string }>;
      };
      const pattern = schema.properties?.[property]?.pattern;
      if (!pattern) throw new Error(`${schemaFile} has no pattern for ${property}`);
      return pattern;
    },
  };
}

/** The text of `file` and of every file it reaches through `$ref`s (each once; code samples left out). */
function reachableTexts(file: string): string[] {
  const seen = new Set<string>();
  const texts: string[] = [];
  const visit = (f: string): void => {
    if (seen.has(f) || f.includes(`${path.sep}examples${path.sep}`)) return;
    seen.add(f);
    const text = fs.readFileSync(f, 'utf8');
    texts.push(text);
    for (const [, ref] of text.matchAll(/\$ref:\s*['"]?([^'"#\s]+)/g))
      visit(path.resolve(path.dirname(f), ref as string));
  };
  visit(file);
  return texts;
}

function templateRegex(template: string): RegExp {
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[a-z_]+\}/g, '[^/]+');
  return new RegExp(`^${pattern}$`);
}

/**
 * A fetch that behaves like DigitalOcean's scope check: unknown tokens get 401, a token lacking a scope the
 * spec requires for the matched operation gets 403 (DigitalOcean's documented error body), everything else
 * goes on to `upstream` (Prism), which validates the request against the spec.
 */
export function scopeEnforcingFetch(
  spec: DigitalOceanSpec,
  tokens: Record<string, readonly string[]>,
  upstream: typeof fetch = fetch,
): typeof fetch {
  // Literal segments win over templates (`/v2/droplets/actions` before `/v2/droplets/{droplet_id}`).
  const templates = spec
    .pathTemplates()
    .map((template) => ({ template, regex: templateRegex(template), literal: !template.includes('{') }))
    .sort((a, b) => Number(b.literal) - Number(a.literal));
  const json = (status: number, body: unknown): Response =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    const token = new Headers(init?.headers).get('authorization')?.replace(/^Bearer /, '') ?? '';
    const granted = tokens[token];
    if (!granted) return json(401, { id: 'unauthorized', message: 'Unable to authenticate you.' });
    const match = templates.find((t) => t.regex.test(url.pathname) && spec.operation(method, t.template));
    if (match) {
      const lacking = spec.scopes(method, match.template).filter((scope) => !granted.includes(scope));
      if (lacking.length > 0) {
        return json(403, { id: 'forbidden', message: 'You are not authorized to perform this operation' });
      }
    }
    return upstream(input, init);
  };
}
