import type { Database } from '@claw/db';

export type LiveTable = {
  schema: string;
  name: string;
  columns: { name: string; type: string; nullable: boolean }[];
};

/** Every table and column the database holds right now, read from information_schema. */
export async function readLiveSchema(database: Database): Promise<LiveTable[]> {
  const rows = await database.query<{
    table_schema: string;
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
  }>(
    `select c.table_schema, c.table_name, c.column_name, c.data_type, c.is_nullable
       from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where t.table_type = 'BASE TABLE'
        and c.table_schema not in ('pg_catalog', 'information_schema')
        and c.table_schema not like 'pg_toast%'
      order by c.table_schema, c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, LiveTable>();
  for (const row of rows) {
    const key = `${row.table_schema}.${row.table_name}`;
    let table = tables.get(key);
    if (!table) {
      table = { schema: row.table_schema, name: row.table_name, columns: [] };
      tables.set(key, table);
    }
    table.columns.push({ name: row.column_name, type: row.data_type, nullable: row.is_nullable === 'YES' });
  }
  return [...tables.values()];
}
