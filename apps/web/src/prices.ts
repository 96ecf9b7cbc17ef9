// How the dashboard says a price: a size's in the deploy wizard, an instance's (kept at deploy) in its facts.
import type { Price } from './api.ts';

/** "$6.00" for a price in the provider's currency. */
export function formatPrice(amount: number, currency: string, fractionDigits = 2): string {
  return new Intl.NumberFormat('en', {
    style: 'currency',
    currency,
    minimumFractionDigits: 2,
    maximumFractionDigits: Math.max(2, fractionDigits),
  }).format(amount);
}

/** "$6.00 a month". */
export function perMonth(amount: number, currency: string): string {
  return `${formatPrice(amount, currency)} a month`;
}

/** "€3.79 a month"; "about $7.49 a month" when the price is our estimate, not the provider's. */
export function monthlyCost(price: Price): string {
  return `${price.estimate ? 'about ' : ''}${perMonth(price.amount, price.currency)}`;
}
