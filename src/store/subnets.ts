/** Subnets: CIDR normalisation, overlap within the network, gateway and allocation pools. */
import { cidrContains, cidrsOverlap, formatIp, parseCidr, parseIp } from '../model/addresses.js';
import { errors } from '../model/errors.js';
import { defaultGateway, formatPools, generatePools, type Pool, parsePools } from '../model/ipam.js';
import { type Body, type Context } from '../model/schema.js';
import { parseSubnetCidr, type Subnet, subnetSpec, subnetView } from '../model/subnet.js';
import { owns, seesNetwork } from './access.js';
import { type Handler, owningProject } from './handler.js';
import { visibleNetwork } from './networks.js';
import { newId, type Store } from './store.js';

export function visibleSubnet(store: Store, ctx: Context, id: string): Subnet {
  const s = store.subnet(id);
  if (!s || !(owns(ctx, s.project_id) || seesNetwork(ctx, store.network(s.network_id)!))) throw errors.subnetNotFound(id);
  return s;
}

function gatewayFor(item: Body, cidr: ReturnType<typeof parseSubnetCidr>['cidr']): bigint | null {
  if (!('gateway_ip' in item)) return defaultGateway(cidr);
  if (item.gateway_ip === null) return null;
  const gw = parseIp(item.gateway_ip)!;
  if (!cidrContains(cidr, gw.family, gw.value)) throw errors.invalidInput(`Gateway is not valid on subnet`);
  return gw.value;
}

export function subnetHandler(store: Store): Handler {
  return {
    spec: subnetSpec,
    list(ctx) {
      const nets = new Map(store.allNetworks().map((n) => [n.id, n]));
      return store.allSubnets().filter((s) => owns(ctx, s.project_id) || seesNetwork(ctx, nets.get(s.network_id)!)).map(subnetView);
    },
    show: (ctx, id) => subnetView(visibleSubnet(store, ctx, id)),
    create(ctx, item) {
      const net = visibleNetwork(store, ctx, item.network_id as string);
      if (!owns(ctx, net.project_id)) throw errors.policy('rule:create_subnet');
      const version = item.ip_version as 4 | 6;
      const { cidr, text } = parseSubnetCidr(item.cidr, version);
      for (const other of store.subnetsOf(net.id)) {
        if (cidrsOverlap(cidr, parseCidr(other.cidr)!)) {
          throw errors.invalidInput(`Requested subnet with cidr: ${text} for network: ${net.id} overlaps with another subnet`);
        }
      }
      if (version === 4 && (item.ipv6_ra_mode || item.ipv6_address_mode)) {
        throw errors.invalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False or when ip_version is 4');
      }
      const gateway = gatewayFor(item, cidr);
      const pools: Pool[] = 'allocation_pools' in item
        ? (parsePools(cidr, text, item.allocation_pools as Pool[], gateway), item.allocation_pools as Pool[])
        : formatPools(cidr, generatePools(cidr, gateway));
      const id = newId();
      store.run(
        `INSERT INTO subnets (id, project_id, network_id, name, ip_version, cidr, gateway_ip, allocation_pools, enable_dhcp,
           dns_nameservers, host_routes, ipv6_ra_mode, ipv6_address_mode, std_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id, owningProject(ctx, item), net.id, item.name, version, text, gateway === null ? null : formatIp(version, gateway),
        JSON.stringify(pools), item.enable_dhcp ? 1 : 0, JSON.stringify(item.dns_nameservers), JSON.stringify(item.host_routes),
        item.ipv6_ra_mode ?? null, item.ipv6_address_mode ?? null, store.newStd('subnets', item.description as string),
      );
      store.changed('subnet', id, 'create');
      return subnetView(store.subnet(id)!);
    },
    update(ctx, id, item) {
      const s = visibleSubnet(store, ctx, id);
      if (!owns(ctx, s.project_id)) throw errors.policy('rule:update_subnet');
      const cidr = parseCidr(s.cidr)!;
      if ('gateway_ip' in item || 'allocation_pools' in item) {
        const gateway = 'gateway_ip' in item ? gatewayFor(item, cidr) : s.gateway_ip === null ? null : parseIp(s.gateway_ip)!.value;
        const pools = (item.allocation_pools as Pool[] | undefined) ?? s.allocation_pools;
        parsePools(cidr, s.cidr, pools, gateway);
        store.run('UPDATE subnets SET gateway_ip = ?, allocation_pools = ? WHERE id = ?',
          gateway === null ? null : formatIp(s.ip_version, gateway), JSON.stringify(pools), id);
      }
      const json = (v: unknown) => JSON.stringify(v);
      const cols: [string, (v: unknown) => unknown][] = [
        ['name', (v) => v], ['enable_dhcp', (v) => (v ? 1 : 0)], ['dns_nameservers', json], ['host_routes', json],
      ];
      for (const [col, enc] of cols) if (col in item) store.run(`UPDATE subnets SET ${col} = ? WHERE id = ?`, enc(item[col]), id);
      store.bump(s.standard_attr_id, Object.keys(item).length ? 1 : 0, item.description as string | undefined);
      store.changed('subnet', id, 'update');
      return subnetView(store.subnet(id)!);
    },
    remove(ctx, id) {
      const s = visibleSubnet(store, ctx, id);
      if (!owns(ctx, s.project_id)) throw errors.policy('rule:delete_subnet');
      if (store.portsUsingSubnet(id).length) throw errors.subnetInUse(id);
      store.run('DELETE FROM subnets WHERE id = ?', id);
      store.changed('subnet', id, 'delete');
    },
    revision: (ctx, id) => visibleSubnet(store, ctx, id).revision_number,
  };
}
