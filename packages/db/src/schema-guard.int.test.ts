import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { createTestDatabase } from '@claw/testing';
import type { Database } from './database.ts';

// The reviewed allowlist is docs/schema.md itself, so the documentation cannot drift from the database.
const docPath = new URL('../../../docs/schema.md', import.meta.url);

function reviewedColumns(): Set<string> {
  const columns = new Set<string>();
  let table: string | undefined;
  for (const line of readFileSync(docPath, 'utf8').split('\n')) {
    const heading = /^### `([\w.]+)`/.exec(line);
    if (heading) table = heading[1];
    const row = /^\|\s*`(\w+)`\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (row && table) columns.add(`${table}.${row[1]} ${row[2]}`);
  }
  return columns;
}

let database: Database;
before(async () => {
  database = await createTestDatabase();
});
after(() => database.close());

test('the live schema is exactly the reviewed allowlist in docs/schema.md', async () => {
  const rows = await database.query<{ t: string; c: string; type: string; len: number | null }>(
    `select c.table_schema || '.' || c.table_name as t, c.column_name as c, c.data_type as type,
            c.character_maximum_length as len
       from information_schema.columns c
       join information_schema.tables t using (table_schema, table_name)
      where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')`,
  );
  const live = new Set(rows.map((r) => `${r.t}.${r.c} ${r.type}${r.len ? `(${r.len})` : ''}`));
  const reviewed = reviewedColumns();
  assert.ok(reviewed.size > 20, 'the allowlist parsed');
  assert.deepEqual(
    [...live].filter((c) => !reviewed.has(c)),
    [],
    'columns in the database that docs/schema.md does not list (review them, then add them there)',
  );
  assert.deepEqual(
    [...reviewed].filter((c) => !live.has(c)),
    [],
    'columns docs/schema.md lists that do not exist',
  );
});

test('none of our tables has a column that could hold a conversation', async () => {
  const rows = await database.query<{ c: string; type: string; len: number | null }>(
    `select table_name || '.' || column_name as c, data_type as type, character_maximum_length as len
       from information_schema.columns where table_schema = 'public'`,
  );
  for (const row of rows) {
    assert.ok(!['text', 'json', 'jsonb', 'xml'].includes(row.type), `${row.c} is ${row.type}`);
    if (row.type === 'character varying')
      assert.ok(row.len !== null && row.len <= 512, `${row.c} is unbounded`);
  }
});

test('a long text or a large blob is refused', async () => {
  await assert.rejects(
    database.query(`insert into plans (id, name, max_instances) values ('x', $1, 1)`, ['chat '.repeat(1000)]),
    /value too long/,
  );
  const [user] = await database.query<{ id: string }>(
    `insert into users (email, password_hash) values ('blob@example.com', 'x') returning id`,
  );
  await assert.rejects(
    database.query(
      `insert into credentials (user_id, provider, label, ciphertext) values ($1, 'aws', 'l', $2)`,
      [user?.id, Buffer.alloc(20_000)],
    ),
    /credentials_ciphertext_size/,
  );
});
