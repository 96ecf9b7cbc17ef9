// A stateful fake kept honest by the provider's official spec: clients talk to `prism proxy --errors`, which
// refuses requests the spec forbids (4xx before they reach the fake) and answers 500 with the violations
// when the fake's response does not match the spec (shared/notes/cloud-test-peers.md §2, "Proxy mode").
import type { FakeServer, FakeServerOptions } from './fake-server.ts';
import { startFakeServer } from './fake-server.ts';
import { startPrism } from './prism.ts';

export type SpecCheckedFake = Omit<FakeServer, 'url'> & {
  /** Prism's URL: what the code under test uses as its base URL. */
  url: string;
  /** The fake's own URL, without the spec check (only for diagnosing the fake itself). */
  fakeUrl: string;
  prismLogTail(): string;
};

export async function startSpecCheckedFake(
  options: FakeServerOptions & { spec: string },
): Promise<SpecCheckedFake> {
  const fake = await startFakeServer(options);
  try {
    const prism = await startPrism({ spec: options.spec, upstream: fake.url });
    return {
      ...fake,
      url: prism.url,
      fakeUrl: fake.url,
      prismLogTail: prism.logTail,
      async stop() {
        await prism.stop();
        await fake.stop();
      },
    };
  } catch (err) {
    await fake.stop();
    throw err;
  }
}
