export {
  openDatabase,
  isFirstRun,
  migrationsFolder,
  type Database,
  type Db,
  type OpenDatabaseOptions,
} from './database.ts';
export { lockDataDir, DataDirLockedError } from './data-dir-lock.ts';
export * as schema from './schema.ts';
