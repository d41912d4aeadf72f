/** What every SQLite repository shares: its handle on the database, standard attributes, the change log. */
import { type StandardAttrs, timestamp } from '../../model/common.js';
import { type Revision } from '../repository.js';
import { type Exec, type Row, type SqliteDb } from './database.js';

/** A repository's handle on the database: the connection and how its steps run (alone, or in a transaction). */
export interface Sql {
  db: SqliteDb;
  exec: Exec;
}

/** `tags` in the primary key's order (by tag), as Neutron's relationship reads them from its own primary key */
export const STD_COLUMNS = `s.id AS standard_attr_id, s.description, s.revision_number, s.created_at, s.updated_at,
  (SELECT json_group_array(tag) FROM tags WHERE std_id = s.id) AS tags`;

/** The standard-attribute fields as list queries name them. */
export const STD_FIELDS = {
  description: 's.description', revision_number: 's.revision_number', created_at: 's.created_at', updated_at: 's.updated_at',
} as const;

export type StdField = keyof typeof STD_FIELDS;

/**
 * A row's standard attributes, the object its record is built onto (Object.assign: a
 * spread into a literal took three times as long for 300 ports).
 */
export function std(r: Row): StandardAttrs {
  return {
    standard_attr_id: r.standard_attr_id as number,
    description: r.description as string | null,
    revision_number: r.revision_number as number,
    created_at: r.created_at as string,
    updated_at: r.updated_at as string,
    tags: JSON.parse(r.tags as string) as string[],
  };
}

export function newStd(db: SqliteDb, resourceType: string, description: string | null, revision = 0): number {
  const now = timestamp();
  return db.insert('INSERT INTO standard_attrs (resource_type, description, revision_number, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    resourceType, description, revision, now, now);
}

export function revise(db: SqliteDb, stdId: number, r: Revision): void {
  if (r.bump === 0 && r.description === undefined) return;
  if (r.description === undefined) {
    db.run('UPDATE standard_attrs SET revision_number = revision_number + ?, updated_at = ? WHERE id = ?', r.bump, timestamp(), stdId);
  } else {
    db.run('UPDATE standard_attrs SET revision_number = revision_number + ?, updated_at = ?, description = ? WHERE id = ?',
      r.bump, timestamp(), r.description, stdId);
  }
}

/** Logs a change; `parent`: the resource it belongs to (a rule's group). */
export function changed(db: SqliteDb, resource: string, id: string, action: string, parent: string | null = null): void {
  db.appended(db.insert('INSERT INTO changes (resource, resource_id, action, parent_id) VALUES (?, ?, ?, ?)', resource, id, action, parent));
}
