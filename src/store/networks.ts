/** Networks, each with its one VXLAN segment. */
import { errors } from '../model/errors.js';
import { type Network, networkSpec, networkView, PROVIDER_UNCHANGEABLE, VXLAN_MTU } from '../model/network.js';
import { type Body, type Context } from '../model/schema.js';
import { owns, readerOf } from './access.js';
import { COMMON_COLUMNS, type Handler, NAME_COLUMN, owningProject } from './handler.js';
import { newId } from './ids.js';
import { NEUTRON_QUOTAS, type Quotas } from './quotas.js';
import { type ListQuery, type NetworkChanges, type NetworkField, type Repositories } from './repository.js';
import { ensureDefaultGroup } from './security-groups.js';

export async function visibleNetwork(db: Repositories, ctx: Context, id: string): Promise<Network> {
  const n = await db.networks.get(id, readerOf(ctx));
  if (!n) throw errors.networkNotFound(id);
  return n;
}

async function ownedNetwork(db: Repositories, ctx: Context, id: string, action: string): Promise<Network> {
  const n = await visibleNetwork(db, ctx, id);
  if (!owns(ctx, n.project_id)) throw errors.policy(`rule:${action}_network`);
  return n;
}

/** Neutron's AUTO_DELETE_PORT_OWNERS: ports a network's delete takes with it rather than being in use. */
const AUTO_DELETE_PORT_OWNERS = new Set(['network:dhcp', 'network:distributed', 'network:floatingip_agent_gateway']);

/** ML2's _get_network_mtu: a network's MTU may not exceed what its (VXLAN) segment carries. */
function checkMtu(item: Body): void {
  if (typeof item.mtu === 'number' && item.mtu > VXLAN_MTU) throw errors.invalidInput(`Requested MTU is too big, maximum is ${VXLAN_MTU}`);
}

export function networkHandler(quotas: Quotas = NEUTRON_QUOTAS): Handler {
  return {
    spec: networkSpec,
    columns: {
      ...COMMON_COLUMNS, ...NAME_COLUMN, admin_state_up: { field: 'admin_state_up', type: 'bool' }, shared: { field: 'shared', type: 'bool' },
      mtu: { field: 'mtu', type: 'int' }, port_security_enabled: { field: 'port_security_enabled', type: 'bool' },
      'router:external': { field: 'external', type: 'bool' },
    },
    list: async (db, ctx, query) => (await db.networks.list({ ...query as ListQuery<NetworkField>, visibleTo: readerOf(ctx) })).map(networkView),
    show: async (db, ctx, id) => networkView(await visibleNetwork(db, ctx, id)),
    async create(db, ctx, item) {
      for (const a of ['shared', 'router:external'] as const) {
        if (item[a] === true && !ctx.isAdmin) throw errors.policy(`(rule:create_network and rule:create_network:${a})`);
      }
      checkMtu(item);
      const project = owningProject(ctx, item);
      await ensureDefaultGroup(db, quotas, project);
      return networkView(await db.networks.create({
        id: newId(), project_id: project, name: item.name as string, admin_state_up: !!item.admin_state_up, shared: !!item.shared,
        port_security_enabled: !!item.port_security_enabled, external: !!item['router:external'],
        mtu: (item.mtu as number | undefined) || VXLAN_MTU, description: item.description as string,
      }));
    },
    async update(db, ctx, id, item) {
      await ownedNetwork(db, ctx, id, 'update');
      if (('shared' in item || 'router:external' in item) && !ctx.isAdmin) {
        throw errors.policy(`(rule:update_network and rule:update_network:${'shared' in item ? 'shared' : 'router:external'})`);
      }
      const provider = Object.keys(PROVIDER_UNCHANGEABLE).filter((a) => a in item);
      if (provider.length && !ctx.isAdmin) throw errors.policy(`(rule:update_network and rule:update_network:${provider[0]})`);
      if (provider.some((a) => item[a] !== PROVIDER_UNCHANGEABLE[a])) {
        throw errors.invalidInput(`Plugin does not support updating the following provider network attributes: ${Object.keys(PROVIDER_UNCHANGEABLE).join(', ')}`);
      }
      checkMtu(item);
      const attrs: Record<string, keyof NetworkChanges> = {
        name: 'name', admin_state_up: 'admin_state_up', shared: 'shared', port_security_enabled: 'port_security_enabled',
        'router:external': 'external', mtu: 'mtu',
      };
      const changes = Object.fromEntries(Object.entries(attrs).filter(([attr]) => attr in item).map(([attr, field]) => [field, item[attr]]));
      // _get_network_mtu: an MTU of 0 is the largest the segment carries
      if (changes.mtu === 0) changes.mtu = VXLAN_MTU;
      // the provider attributes, unchanged, are no update of the network's row
      const revision = { bump: Object.keys(item).some((a) => !(a in PROVIDER_UNCHANGEABLE)) ? 1 : 0, description: item.description as string | undefined };
      return networkView(await db.networks.update(id, changes, revision));
    },
    async remove(db, ctx, id) {
      await ownedNetwork(db, ctx, id, 'delete');
      const ports = await db.ports.list({ where: { network_id: [id] } });
      const inUse = ports.filter((p) => !AUTO_DELETE_PORT_OWNERS.has(p.device_owner));
      if (inUse.length) throw errors.networkInUse(id, inUse.map((p) => p.id));
      for (const p of ports) await db.ports.remove(p.id);
      await db.networks.remove(id);
    },
    revision: async (db, ctx, id) => (await visibleNetwork(db, ctx, id)).revision_number,
  };
}
