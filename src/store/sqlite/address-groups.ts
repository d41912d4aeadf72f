/** Address groups in SQLite, their addresses in a table of their own (in the order they were added). */
import { type AddressGroup } from '../../model/address-group.js';
import { type AddressGroupField, type AddressGroupRepository, type New, type Revision } from '../repository.js';
import { SqliteResource, type Table } from './resource.js';
import { revise, type Sql, std } from './rows.js';

const GROUPS: Table<AddressGroup, AddressGroupField, 'addresses'> = {
  name: 'address_groups',
  alias: 'a',
  columns: { project_id: true, name: true },
  visible: 'a.project_id = ?',
  children: { addresses: { table: 'address_group_addresses', owner: 'address_group_id', order: 'rowid' } },
  resource: 'address_group',
  stdType: 'address_groups',
  decode: (r, { addresses }) => Object.assign(std(r), {
    id: r.id as string,
    project_id: r.project_id as string,
    name: r.name as string,
    addresses: addresses.map((x) => x.address as string),
  }),
};

export class SqliteAddressGroups extends SqliteResource<AddressGroup, AddressGroupField, 'addresses'> implements AddressGroupRepository {
  constructor(sql: Sql) {
    super(sql, GROUPS);
  }

  create(g: Omit<New<AddressGroup>, 'addresses'>): Promise<AddressGroup> {
    return this.sql.exec(() => {
      this.insert({ id: g.id, project_id: g.project_id, name: g.name }, g.description, g.revision_number);
      this.changed(g.id, 'create');
      return this.read(g.id)!;
    });
  }

  update(id: string, changes: { name?: string }, revision: Revision): Promise<AddressGroup> {
    return this.sql.exec(() => {
      this.setColumns(id, changes);
      revise(this.sql.db, this.stdId(id), revision);
      this.changed(id, 'update');
      return this.read(id)!;
    });
  }

  addAddresses(id: string, addresses: readonly string[]): Promise<AddressGroup> {
    return this.changeAddresses(id, addresses, 'INSERT INTO address_group_addresses (address_group_id, address) VALUES (?, ?)');
  }

  removeAddresses(id: string, addresses: readonly string[]): Promise<AddressGroup> {
    return this.changeAddresses(id, addresses, 'DELETE FROM address_group_addresses WHERE address_group_id = ? AND address = ?');
  }

  private changeAddresses(id: string, addresses: readonly string[], statement: string): Promise<AddressGroup> {
    return this.sql.exec(() => {
      for (const a of addresses) this.sql.db.run(statement, id, a);
      if (addresses.length) {
        revise(this.sql.db, this.stdId(id), { bump: addresses.length });
        this.changed(id, 'update');
      }
      return this.read(id)!;
    });
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => this.deleteRow(id));
  }
}
