export { createTestDatabase, dumpDatabase } from './database.ts';
export { createHttpClient, type HttpClient } from './http-client.ts';
