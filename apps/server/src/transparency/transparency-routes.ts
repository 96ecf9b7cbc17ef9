import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '@claw/db';
import { logFields } from '@claw/logger';
import type { AppEnv } from '../http/context.ts';
import { jsonResponse } from '../http/api-schemas.ts';
import { readLiveSchema } from './live-schema.ts';

const statement =
  'Claw Cloud stores account metadata only. Chat flows through our proxy to your own server and is never ' +
  'stored or logged: no table or column here can hold chat content, and log lines carry only the fields listed.';

export function createTransparencyRoutes(deps: { database: Database }) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/transparency',
      tags: ['transparency'],
      summary: 'The live database schema and the fields our logs may contain',
      responses: {
        200: jsonResponse(
          z.object({
            statement: z.string(),
            tables: z.array(
              z.object({
                schema: z.string(),
                name: z.string(),
                columns: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean() })),
              }),
            ),
            logFields: z.array(z.string()),
          }),
          'Read from information_schema at request time',
        ),
      },
    }),
    async (c) =>
      c.json({ statement, tables: await readLiveSchema(deps.database), logFields: [...logFields] }, 200),
  );
  return app;
}
