/** Networks, each with its one VXLAN segment. */
import { errors } from '../model/errors.js';
import { type Network, networkSpec, networkView, VXLAN_MTU } from '../model/network.js';
import { type Context } from '../model/schema.js';
import { owns, seesNetwork } from './access.js';
import { type Handler, owningProject } from './handler.js';
import { ensureDefaultGroup } from './security-groups.js';
import { newId, type Store } from './store.js';

export function visibleNetwork(store: Store, ctx: Context, id: string): Network {
  const n = store.network(id);
  if (!n || !seesNetwork(ctx, n)) throw errors.networkNotFound(id);
  return n;
}

function ownedNetwork(store: Store, ctx: Context, id: string, action: string): Network {
  const n = visibleNetwork(store, ctx, id);
  if (!owns(ctx, n.project_id)) throw errors.policy(`rule:${action}_network`);
  return n;
}

export function networkHandler(store: Store): Handler {
  return {
    spec: networkSpec,
    list: (ctx) => store.allNetworks().filter((n) => seesNetwork(ctx, n)).map(networkView),
    show: (ctx, id) => networkView(visibleNetwork(store, ctx, id)),
    create(ctx, item) {
      for (const a of ['shared', 'router:external'] as const) {
        if (item[a] === true && !ctx.isAdmin) throw errors.policy(`(rule:create_network and rule:create_network:${a})`);
      }
      const project = owningProject(ctx, item);
      ensureDefaultGroup(store, project);
      const id = newId();
      const stdId = store.newStd('networks', item.description as string);
      store.run(
        `INSERT INTO networks (id, project_id, name, admin_state_up, shared, port_security_enabled, external, mtu, std_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id, project, item.name, item.admin_state_up ? 1 : 0, item.shared ? 1 : 0, item.port_security_enabled ? 1 : 0,
        item['router:external'] ? 1 : 0, (item.mtu as number | undefined) ?? VXLAN_MTU, stdId,
      );
      store.run('INSERT INTO network_segments (id, network_id, network_type, segmentation_id, std_id) VALUES (?, ?, ?, ?, ?)',
        newId(), id, 'vxlan', store.nextSegmentationId(), store.newStd('segments', null));
      // creating the segment revises the network
      store.bump(stdId);
      store.changed('network', id, 'create');
      return networkView(store.network(id)!);
    },
    update(ctx, id, item) {
      const n = ownedNetwork(store, ctx, id, 'update');
      if (('shared' in item || 'router:external' in item) && !ctx.isAdmin) {
        throw errors.policy(`(rule:update_network and rule:update_network:${'shared' in item ? 'shared' : 'router:external'})`);
      }
      const cols: Record<string, string> = {
        name: 'name', admin_state_up: 'admin_state_up', shared: 'shared', port_security_enabled: 'port_security_enabled',
        'router:external': 'external', mtu: 'mtu',
      };
      for (const [attr, col] of Object.entries(cols)) {
        if (!(attr in item)) continue;
        const v = item[attr];
        store.run(`UPDATE networks SET ${col} = ? WHERE id = ?`, typeof v === 'boolean' ? (v ? 1 : 0) : v, id);
      }
      store.bump(n.standard_attr_id, Object.keys(item).length ? 1 : 0, item.description as string | undefined);
      store.changed('network', id, 'update');
      return networkView(store.network(id)!);
    },
    remove(ctx, id) {
      ownedNetwork(store, ctx, id, 'delete');
      const ports = store.portIdsOnNetwork(id);
      if (ports.length) throw errors.networkInUse(id, ports);
      store.run('DELETE FROM subnets WHERE network_id = ?', id);
      store.run('DELETE FROM networks WHERE id = ?', id);
      store.changed('network', id, 'delete');
    },
    revision: (ctx, id) => visibleNetwork(store, ctx, id).revision_number,
  };
}
