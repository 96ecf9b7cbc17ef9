// Stoplight Prism serving an official OpenAPI spec on 127.0.0.1 (shared/notes/cloud-test-peers.md §2, §3).
// Prism validates every request against the spec and answers with the spec's examples; it is stateless and
// does not check token scopes.
import fs from 'node:fs';
import { locatePrism } from './availability.ts';
import { answersHttp, spawnPeer, waitUntilReady, withFreePort } from './process.ts';

export type PrismOptions = {
  /** Path of the OpenAPI entry file (see `locateSpec`). */
  spec: string;
  /** Proxy mode: validate the responses of this upstream (our own stateful fake) against the spec. */
  upstream?: string;
  /** Parsing the 14 MB DigitalOcean spec takes ~8 s on an idle machine; the default leaves room for load. */
  readyTimeoutMs?: number;
};

export type PrismPeer = {
  /** http://127.0.0.1:<port>; DigitalOcean paths keep their /v2 prefix, Hetzner's base URL drops /v1. */
  url: string;
  logTail(): string;
  stop(): Promise<void>;
};

export async function startPrism(options: PrismOptions): Promise<PrismPeer> {
  if (!fs.existsSync(options.spec)) throw new Error(`prism: spec file not found: ${options.spec}`);
  const prism = locatePrism();
  if (!prism.ok) throw new Error(prism.reason);

  return withFreePort(async (port) => {
    const mode = options.upstream ? ['proxy', options.spec, options.upstream] : ['mock', options.spec];
    // `--errors` turns request violations into 4xx instead of a warning header (notes §2).
    const args = [prism.path, ...mode, '-h', '127.0.0.1', '-p', String(port), '--errors'];
    const peer = spawnPeer(process.execPath, args);
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady({
      name: 'prism',
      peer,
      probe: () => answersHttp(url),
      timeoutMs: options.readyTimeoutMs ?? 120_000,
      intervalMs: 250,
    });
    return { url, logTail: peer.logTail, stop: peer.stop };
  });
}
