// Opens (or creates) a workspace's feature database: WAL journal so readers never block the harvest
// and a killed writer loses only its open transaction; foreign keys on; migrations applied in order.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './schema.js';

export type Db = Database.Database;

export interface OpenOptions {
  readonly?: boolean;
  /** Apply only migrations up to this version (tests build older databases with it). */
  upTo?: number;
}

export function openStore(file: string, options: OpenOptions = {}): Db {
  if (options.readonly && !fs.existsSync(file)) throw new Error(`database ${file} does not exist: run \`sae-explorer harvest --db ${file} …\` first`);
  if (!options.readonly) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false });
  } catch (err) {
    throw new Error(`cannot open database ${file}: ${(err as Error).message}`);
  }
  try {
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db, MIGRATIONS, options.upTo ?? SCHEMA_VERSION, file);
    } else {
      const version = schemaVersion(db);
      if (version !== SCHEMA_VERSION) throw new Error(`database ${file} has schema version ${version}, this app reads ${SCHEMA_VERSION}: open it once read-write to migrate`);
    }
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Runs each migration newer than the database in its own transaction, bumping user_version with it. */
export function migrate(db: Db, migrations: readonly Migration[], target: number, file = 'database'): void {
  const current = schemaVersion(db);
  const newest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > newest) throw new Error(`${file} has schema version ${current}, newer than this app's ${newest}: update sae-explorer`);
  for (const migration of migrations) {
    if (migration.version <= current || migration.version > target) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
