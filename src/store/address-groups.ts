/** Address groups: CRUD and the add_addresses/remove_addresses member actions, as AddressGroupDbMixin does them. */
import {
  type AddressGroup, addressGroupActionView, addressGroupSpec, addressGroupView, requestedAddresses,
} from '../model/address-group.js';
import { errors } from '../model/errors.js';
import { type Body, type Context } from '../model/schema.js';
import { readerOf } from './access.js';
import { COMMON_COLUMNS, type Handler, NAME_COLUMN, owningProject } from './handler.js';
import { newId } from './ids.js';
import { type AddressGroupField, type ListQuery, type Repositories } from './repository.js';

/** The group as the caller may see it (its own project's, or any for an admin), else AddressGroupNotFound. */
export async function visibleAddressGroup(db: Repositories, ctx: Context, id: string): Promise<AddressGroup> {
  const g = await db.addressGroups.get(id, readerOf(ctx));
  if (!g) throw errors.addressGroupNotFound(id);
  return g;
}

/** _process_requested_addresses: the requested addresses (normalised) that are in the group, and those that are not. */
function split(g: AddressGroup, body: unknown): { present: string[]; absent: string[] } {
  const requested = requestedAddresses(body);
  return { present: requested.filter((a) => g.addresses.includes(a)), absent: requested.filter((a) => !g.addresses.includes(a)) };
}

export function addressGroupHandler(): Handler {
  return {
    spec: addressGroupSpec,
    columns: { ...COMMON_COLUMNS, ...NAME_COLUMN },
    // an unsorted list is in id order: the object layer's Pager sorts by the primary key
    list: async (db, ctx, query = {}) => (await db.addressGroups.list({
      ...query as ListQuery<AddressGroupField>, sorts: query.sorts?.length ? query.sorts as ListQuery<AddressGroupField>['sorts'] : [['id', 'asc']],
      visibleTo: readerOf(ctx),
    })).map(addressGroupView),
    show: async (db, ctx, id) => addressGroupView(await visibleAddressGroup(db, ctx, id)),
    async create(db, ctx, item: Body) {
      const g = await db.addressGroups.create({
        id: newId(), project_id: owningProject(ctx, item), name: item.name as string, description: item.description as string,
      });
      // addresses: validated as written (duplicates refused), stored normalised; 10.0.0.1/24 and 10.0.0.9/24 are one
      const addresses = [...new Set(((item.addresses ?? []) as string[]).map((a) => requestedAddresses({ addresses: [a] })[0]))];
      return addressGroupView(addresses.length ? await db.addressGroups.addAddresses(g.id, addresses) : g);
    },
    async update(db, ctx, id, item) {
      await visibleAddressGroup(db, ctx, id);
      const changes = 'name' in item ? { name: item.name as string } : {};
      const revision = { bump: Object.keys(item).length ? 1 : 0, description: item.description as string | undefined };
      return addressGroupView(await db.addressGroups.update(id, changes, revision));
    },
    async remove(db, ctx, id) {
      await visibleAddressGroup(db, ctx, id);
      // rules of any project count (delete_address_group asks with an elevated context)
      if ((await db.rules.list({ where: { remote_address_group_id: [id] }, limit: 1 })).length) throw errors.addressGroupInUse(id);
      await db.addressGroups.remove(id);
    },
    bulk: false,
    // the revision-if-match check reads revision_number from the API's view of the group, which has none: Neutron 21 answers a 500
    async revision(db, ctx, id) {
      await visibleAddressGroup(db, ctx, id);
      throw errors.internal();
    },
    actions: {
      async add_addresses(db, ctx, id, body) {
        const g = await visibleAddressGroup(db, ctx, id);
        const { present, absent } = split(g, body);
        if (present.length) throw errors.addressesAlreadyExist(present, id);
        return { address_group: addressGroupActionView(await db.addressGroups.addAddresses(id, absent)) };
      },
      async remove_addresses(db, ctx, id, body) {
        const g = await visibleAddressGroup(db, ctx, id);
        const { present, absent } = split(g, body);
        if (absent.length) throw errors.addressesNotFound(absent, id);
        return { address_group: addressGroupActionView(await db.addressGroups.removeAddresses(id, present)) };
      },
    },
  };
}
