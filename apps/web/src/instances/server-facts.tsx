import type { ReactNode } from 'react';
import type { Instance } from '../api.ts';
import { providerName } from '../clouds/providers.ts';
import { monthlyCost } from '../prices.ts';

/** Where a server we created runs: its cloud, region, size and the price shown at deploy; then `children`. */
export function ServerFacts({ instance, children }: { instance: Instance; children?: ReactNode }) {
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
      {instance.priceMonthly && (
        <div>
          <dt>Monthly cost</dt>
          <dd>
            {monthlyCost(instance.priceMonthly)}
            <span className="fact-note">as priced at deploy; your provider’s bill is what counts</span>
          </dd>
        </div>
      )}
      {children}
    </dl>
  );
}
