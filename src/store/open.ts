/** Where a store is opened from a command line's --db: the one place another implementation plugs in. */
import { type Store } from './repository.js';
import { SqliteStore } from './sqlite/store.js';

/** A SQLite database file (created and migrated if need be). */
export const openStore = (location: string): Store => new SqliteStore(location);
