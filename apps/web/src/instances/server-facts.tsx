import type { Instance } from '../api.ts';
import { providerName } from '../clouds/providers.ts';

/** Where a server we created runs: its cloud, region and size. */
export function ServerFacts({ instance }: { instance: Instance }) {
  return (
    <dl className="facts facts-compact">
      <div>
        <dt>Cloud</dt>
        <dd>{providerName(instance.provider)}</dd>
      </div>
      {instance.region && (
        <div>
          <dt>Region</dt>
          <dd>
            <code>{instance.region}</code>
          </dd>
        </div>
      )}
      {instance.size && (
        <div>
          <dt>Size</dt>
          <dd>
            <code>{instance.size}</code>
          </dd>
        </div>
      )}
    </dl>
  );
}
