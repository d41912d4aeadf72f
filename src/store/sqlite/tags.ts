/** standard-attr-tag: tags on a resource row's standard attributes (tags table, migration 6). */
import { type TaggedResource, type TagRepository } from '../repository.js';
import { revise, type Sql } from './rows.js';

export class SqliteTags implements TagRepository {
  constructor(private readonly sql: Sql) {}

  private stdId(resource: TaggedResource, id: string): number {
    return this.sql.db.one(`SELECT std_id FROM ${resource} WHERE id = ?`, id)!.std_id as number;
  }

  private held(stdId: number): string[] {
    return this.sql.db.all('SELECT tag FROM tags WHERE std_id = ? ORDER BY tag', stdId).map((r) => r.tag as string);
  }

  of(resource: TaggedResource, id: string): Promise<string[]> {
    return this.sql.exec(() => this.held(this.stdId(resource, id)));
  }

  replace(resource: TaggedResource, id: string, tags: readonly string[]): Promise<void> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      const stdId = this.stdId(resource, id);
      const had = this.held(stdId);
      const gone = had.filter((t) => !tags.includes(t));
      const added = tags.filter((t) => !had.includes(t));
      for (const t of gone) db.run('DELETE FROM tags WHERE std_id = ? AND tag = ?', stdId, t);
      for (const t of added) db.run('INSERT INTO tags (std_id, tag) VALUES (?, ?)', stdId, t);
      revise(db, stdId, { bump: gone.length || added.length ? 1 : 0 });
    });
  }

  add(resource: TaggedResource, id: string, tag: string): Promise<void> {
    return this.sql.exec(() => {
      const stdId = this.stdId(resource, id);
      const added = this.sql.db.run('INSERT OR IGNORE INTO tags (std_id, tag) VALUES (?, ?)', stdId, tag);
      revise(this.sql.db, stdId, { bump: added });
    });
  }

  remove(resource: TaggedResource, id: string, tag: string): Promise<boolean> {
    return this.sql.exec(() => {
      const stdId = this.stdId(resource, id);
      const removed = this.sql.db.run('DELETE FROM tags WHERE std_id = ? AND tag = ?', stdId, tag);
      revise(this.sql.db, stdId, { bump: removed ? 1 : 0 });
      return removed > 0;
    });
  }
}
