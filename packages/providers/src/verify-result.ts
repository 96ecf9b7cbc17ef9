export type VerifiedAccount = { id?: string; email?: string; name?: string };

/**
 * What every provider's verification returns. `reason` is shown to the user as is: precise, actionable and
 * never containing a secret. `missing` lists the exact scopes/permissions/actions that were refused.
 * `unverified` lists what exists in our requirements but cannot be checked without side effects.
 */
export type VerifyResult =
  | { ok: true; account: VerifiedAccount; unverified?: string[] }
  | { ok: false; reason: string; missing?: string[] };
