import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  customType,
  index,
  integer,
  pgTable,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
  boolean,
  check,
} from 'drizzle-orm/pg-core';

// drizzle 0.45 has no bytea column; PGlite returns Uint8Array where node-postgres returns Buffer.
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) =>
    Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength),
});

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const plans = pgTable('plans', {
  id: varchar('id', { length: 16 }).primaryKey(),
  name: varchar('name', { length: 64 }).notNull(),
  maxInstances: integer('max_instances').notNull(),
});

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: varchar('email', { length: 254 }).notNull(),
    passwordHash: varchar('password_hash', { length: 256 }).notNull(),
    planId: varchar('plan_id', { length: 16 })
      .notNull()
      .default('free')
      .references(() => plans.id),
    createdAt: createdAt(),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }).notNull().defaultNow(),
    // The head of this user's audit hash chain, so that deleting the newest events is detectable too.
    auditSeq: bigint('audit_seq', { mode: 'number' }).notNull().default(0),
    auditHead: bytea('audit_head'),
    // The ExternalId this user's AWS role must require of us (confused-deputy guard); not a secret, never reused.
    awsExternalId: varchar('aws_external_id', { length: 64 }),
    // A second data key, wrapped only by a key derived from the user's password: credentials under it are
    // usable only while a signed-in session holds it in memory.
    passwordWrappedKey: bytea('password_wrapped_key'),
  },
  (t) => [uniqueIndex('users_email_key').on(sql`lower(${t.email})`)],
);

export const sessions = pgTable(
  'sessions',
  {
    // SHA-256 of the opaque token: a database leak yields no usable session.
    tokenHash: bytea('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    // When the user last proved their password in this session (login, or a step-up before a sensitive change).
    reauthenticatedAt: timestamp('reauthenticated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId)],
);

export const instances = pgTable(
  'instances',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 64 }).notNull(),
    provider: varchar('provider', { length: 32 }).notNull(),
    region: varchar('region', { length: 64 }),
    size: varchar('size', { length: 64 }),
    status: varchar('status', { length: 32 }).notNull(),
    cloudResourceId: varchar('cloud_resource_id', { length: 128 }),
    agentUrl: varchar('agent_url', { length: 512 }),
    agentFingerprint: varchar('agent_fingerprint', { length: 128 }),
    // The agent's self-signed certificate (DER), trusted as the only root when we connect: TLS pinning.
    agentCertificate: bytea('agent_certificate'),
    agentVersion: varchar('agent_version', { length: 32 }),
    openclawVersion: varchar('openclaw_version', { length: 32 }),
    // The instance credential (a bearer secret the agent checks), vault ciphertext under the user's data key.
    credentialCiphertext: bytea('credential_ciphertext'),
    // Provisioned instances: which cloud connection created it (deleting a connection in use is refused).
    cloudCredentialId: uuid('cloud_credential_id').references(() => credentials.id),
    publicAddress: varchar('public_address', { length: 64 }),
    failureReason: varchar('failure_reason', { length: 300 }),
    // A step that has not finished by then fails the instance with a clear reason (the reconciler checks).
    deadlineAt: timestamp('deadline_at', { withTimezone: true }),
    // The one-time code the new server's agent calls back with (hashed; expires in 1 h).
    registrationCodeHash: bytea('registration_code_hash'),
    registrationExpiresAt: timestamp('registration_expires_at', { withTimezone: true }),
    // The monthly price the user was shown at deploy, kept as it was then (whole cents: no float money).
    // Null where no price was shown: an adopted server, or one deployed before prices were kept.
    priceMonthlyCents: integer('price_monthly_cents'),
    priceCurrency: varchar('price_currency', { length: 3, enum: ['USD', 'EUR'] }),
    priceIsEstimate: boolean('price_is_estimate'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('instances_user_id_idx').on(t.userId),
    check('instances_credential_size', sql`octet_length(${t.credentialCiphertext}) <= 1024`),
    check('instances_certificate_size', sql`octet_length(${t.agentCertificate}) <= 4096`),
    // A price is all three parts or none.
    check(
      'instances_price',
      sql`(${t.priceMonthlyCents} is null and ${t.priceCurrency} is null and ${t.priceIsEstimate} is null) or (${t.priceMonthlyCents} >= 0 and ${t.priceCurrency} in ('USD', 'EUR') and ${t.priceIsEstimate} is not null)`,
    ),
  ],
);

export const credentials = pgTable(
  'credentials',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: varchar('provider', { length: 32 }).notNull(),
    label: varchar('label', { length: 100 }).notNull(),
    last4: varchar('last4', { length: 4 }),
    // AES-256-GCM envelope (packages/vault); never plaintext.
    ciphertext: bytea('ciphertext'),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    // Encrypted under the password-derived key instead of the user's data key (see users.password_wrapped_key).
    passwordProtected: boolean('password_protected').notNull().default(false),
    verificationStatus: varchar('verification_status', { length: 16 }).notNull().default('unverified'),
    verificationReason: varchar('verification_reason', { length: 300 }),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
  },
  (t) => [
    index('credentials_user_id_idx').on(t.userId),
    // A credential is a token or a small key file; nothing larger is stored here.
    check('credentials_ciphertext_size', sql`octet_length(${t.ciphertext}) <= 16384`),
  ],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    // Null for events with no account: a failed login for an unknown email, an account's deletion.
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    event: varchar('event', { length: 64 }).notNull(),
    outcome: varchar('outcome', { length: 16 }).notNull(),
    requestId: varchar('request_id', { length: 64 }),
    clientIp: varchar('client_ip', { length: 64 }),
    clientAgent: varchar('client_agent', { length: 64 }),
    // Chat-connection metadata (proxy.connection events): sizes and counts, never content.
    instanceId: uuid('instance_id'),
    bytesIn: bigint('bytes_in', { mode: 'number' }),
    bytesOut: bigint('bytes_out', { mode: 'number' }),
    messagesIn: integer('messages_in'),
    messagesOut: integer('messages_out'),
    closeCode: integer('close_code'),
    latencyMs: integer('latency_ms'),
    // What the event is about when it is not the instance itself (a support grant's id), and until when it
    // holds (a support grant's end): metadata the user reads in their activity, never content.
    subjectId: uuid('subject_id'),
    untilAt: timestamp('until_at', { withTimezone: true }),
    prevHash: bytea('prev_hash').notNull(),
    hash: bytea('hash').notNull(),
  },
  (t) => [index('audit_log_user_id_idx').on(t.userId, t.id)],
);

export const loginThrottle = pgTable('login_throttle', {
  // 'ip:<address>' or 'account:<sha256 of the lower-cased email>': no email is stored for unknown accounts.
  key: varchar('key', { length: 128 }).primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull(),
});

/** Each user's random data key, wrapped by the master key ring; deleting the row erases their ciphertexts. */
export const userKeys = pgTable(
  'user_keys',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    wrappedKey: bytea('wrapped_key').notNull(),
    keyVersion: integer('key_version').notNull(),
    createdAt: createdAt(),
  },
  (t) => [check('user_keys_wrapped_size', sql`octet_length(${t.wrappedKey}) <= 256`)],
);

/** Single-use, short-lived tickets that authorise one chat WebSocket upgrade (browsers cannot send headers on it). */
export const connectionTickets = pgTable('connection_tickets', {
  tokenHash: bytea('token_hash').primaryKey(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  instanceId: uuid('instance_id')
    .notNull()
    .references(() => instances.id, { onDelete: 'cascade' }),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** Pending OAuth authorisations: the state parameter (hashed) ties a provider's redirect to the user who started it. */
export const oauthStates = pgTable('oauth_states', {
  stateHash: bytea('state_hash').primaryKey(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  provider: varchar('provider', { length: 32 }).notNull(),
  label: varchar('label', { length: 100 }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/**
 * Support grants the user opened on an instance (docs/support-access.md): metadata only. The session log
 * lives on the instance and is relayed, never stored; `auditedSeq` is how far its events were audited.
 */
export const supportGrants = pgTable(
  'support_grants',
  {
    // The agent's grant id.
    id: uuid('id').primaryKey(),
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => instances.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // The random principal the support certificate must name (claw-support-<96 bits>).
    principal: varchar('principal', { length: 64 }).notNull(),
    admin: boolean('admin').notNull(),
    notAfter: timestamp('not_after', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    // 'revoked' | 'expired' | 'gone' (the instance was destroyed while the grant was open).
    endReason: varchar('end_reason', { length: 16 }),
    auditedSeq: integer('audited_seq').notNull().default(0),
  },
  (t) => [index('support_grants_instance_id_idx').on(t.instanceId, t.createdAt)],
);
