// The support record on the instance: one JSON object per line, append-only, hash-chained. Each line carries
// `prev` (the previous line's hash) and `hash` = SHA-256 of the line's JSON without `hash`, so changing,
// removing or reordering a past line breaks the chain at that line. Only the agent writes it (the file is
// 0600 in its state folder); the support account reaches it through the recorder socket, never directly.
// What the chain cannot show on its own is a cut-off tail or a chain rewritten by root: for that a reader
// keeps the last `head` it saw and compares it later.
import crypto from 'node:crypto';
import fs from 'node:fs';

export type AuditRecord = { type: string } & Record<string, string | number | boolean | null | string[]>;
export type AuditEntry = AuditRecord & { seq: number; ts: string; prev: string; hash: string };

export type Verification =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: number; reason: 'unparseable' | 'sequence' | 'link' | 'hash' };

const GENESIS = '0'.repeat(64);

function hashOf(body: object): string {
  return crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

export function verifyAuditLog(text: string): Verification {
  let prev = GENESIS;
  const all = lines(text);
  for (const [index, line] of all.entries()) {
    const broken = (reason: 'unparseable' | 'sequence' | 'link' | 'hash') =>
      ({ ok: false, entries: all.length, brokenAt: index, reason }) as const;
    let entry: AuditEntry;
    try {
      entry = JSON.parse(line) as AuditEntry;
    } catch {
      return broken('unparseable');
    }
    // JSON.parse keeps key order, so re-serialising the body reproduces the bytes that were hashed.
    const { hash, ...body } = entry;
    if (entry.seq !== index) return broken('sequence');
    if (entry.prev !== prev) return broken('link');
    if (hashOf(body) !== hash) return broken('hash');
    prev = hash;
  }
  return { ok: true, entries: all.length, head: prev };
}

export type AuditLog = ReturnType<typeof openAuditLog>;

export function openAuditLog(file: string, now: () => number) {
  let seq = 0;
  let prev = GENESIS;
  if (fs.existsSync(file)) {
    const all = lines(fs.readFileSync(file, 'utf8'));
    seq = all.length;
    // Continue from the last line as written; if it was damaged, verification reports it there.
    try {
      prev = (JSON.parse(all.at(-1) ?? '{}') as Partial<AuditEntry>).hash ?? GENESIS;
    } catch {
      prev = hashOf({ damaged: all.at(-1) });
    }
  }
  const fd = fs.openSync(file, 'a', 0o600);

  return {
    append(record: AuditRecord): AuditEntry {
      const body = { seq, ts: new Date(now()).toISOString(), ...record, prev };
      const entry = { ...body, hash: hashOf(body) } as AuditEntry;
      // One write per line, synchronously: lines never interleave and the chain order is the file order.
      fs.writeSync(fd, `${JSON.stringify(entry)}\n`);
      seq += 1;
      prev = entry.hash;
      return entry;
    },
    read(): string {
      return fs.readFileSync(file, 'utf8');
    },
    close(): void {
      fs.closeSync(fd);
    },
  };
}
