/**
 * Ports, in the order ML2's create_port/update_port does things: policy on
 * network-owner attributes, MAC and fixed IPs, port-security checks, security
 * groups, allowed address pairs.
 */
import { cidrContains, broadcast, formatIp, network as networkAddr, parseCidr, parseIp } from '../model/addresses.js';
import { type RequestedPair, resolvePairs, samePairs } from '../model/allowed-address-pairs.js';
import { errors } from '../model/errors.js';
import { eui64, pickFreeIp, type Range } from '../model/ipam.js';
import { type Network } from '../model/network.js';
import { type FixedIp, type Port, portRevisionBump, portSpec, portView, type RequestedFixedIp } from '../model/port.js';
import { enforcePortPolicy } from '../model/port-policy.js';
import { type Random } from '../model/random.js';
import { type Body, type Context } from '../model/schema.js';
import { type Subnet } from '../model/subnet.js';
import { readerOf } from './access.js';
import { COMMON_COLUMNS, type Handler, NAME_COLUMN, owningProject } from './handler.js';
import { newId } from './ids.js';
import { visibleNetwork } from './networks.js';
import { NEUTRON_QUOTAS, type Quotas } from './quotas.js';
import { type ListQuery, type PortChanges, type PortField, type PortSet, type Repositories } from './repository.js';
import { ensureDefaultGroup } from './security-groups.js';

export async function visiblePort(db: Repositories, ctx: Context, id: string): Promise<Port> {
  const p = await db.ports.get(id, readerOf(ctx));
  if (!p) throw errors.portNotFound(id);
  return p;
}

/** create_port/update_port policy for this request, on the port's network. */
function enforcePolicy(ctx: Context, action: 'create' | 'update', item: Body, net: Network, port?: Port): void {
  // _is_attribute_explicitly_set: on create, a value equal to the attribute's default is not set
  const set = (attr: string) => attr in item && (action === 'update' || JSON.stringify(item[attr]) !== JSON.stringify(portSpec.attrs[attr].default));
  enforcePortPolicy(action, item, set, {
    ctx,
    portProject: port?.project_id ?? owningProject(ctx, item),
    networkProject: net.project_id,
    networkShared: net.shared,
    deviceOwner: (item.device_owner as string | undefined) ?? port?.device_owner ?? '',
  });
}

async function randomMac(db: Repositories, networkId: string, random: Random): Promise<string> {
  for (;;) {
    const bytes = [0, 1, 2].map(() => Math.floor(random() * 256));
    const mac = ['fa', '16', '3e', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
    if (!await db.ports.macInUse(networkId, mac)) return mac;
  }
}

/** check_subnet_ip: inside the subnet and, for IPv4, neither its network nor its broadcast address. */
function validOnSubnet(subnet: Subnet, ip: { family: 4 | 6; value: bigint }): boolean {
  const c = parseCidr(subnet.cidr)!;
  if (!cidrContains(c, ip.family, ip.value)) return false;
  return c.family === 6 ? ip.value !== networkAddr(c) : ip.value !== networkAddr(c) && ip.value !== broadcast(c);
}

class Allocator {
  private constructor(
    private readonly db: Repositories, private readonly net: Network, private readonly portId: string,
    private readonly mac: string, private readonly random: Random, private readonly subnets: Subnet[],
  ) {}

  static async on(db: Repositories, net: Network, portId: string, mac: string, random: Random): Promise<Allocator> {
    return new Allocator(db, net, portId, mac, random, await db.subnets.list({ where: { network_id: [net.id] } }));
  }

  private subnetFor(id: string): Subnet {
    const s = this.subnets.find((x) => x.id === id);
    if (!s) throw errors.invalidInput(`Failed to create port on network ${this.net.id}, because fixed_ips included invalid subnet ${id}`);
    return s;
  }

  private async take(subnet: Subnet, ip: string): Promise<FixedIp> {
    const holder = await this.db.ports.ipHolder(subnet.id, ip);
    if (holder && holder !== this.portId) throw errors.ipAllocated(ip, subnet.id);
    return { subnet_id: subnet.id, ip_address: ip };
  }

  private async auto(subnet: Subnet, taken: FixedIp[]): Promise<FixedIp | undefined> {
    const c = parseCidr(subnet.cidr)!;
    if (subnet.ipv6_address_mode === 'slaac' || subnet.ipv6_address_mode === 'dhcpv6-stateless') {
      return this.take(subnet, formatIp(6, eui64(c, this.mac)));
    }
    const used = new Set([...await this.db.ports.ipsOnSubnet(subnet.id), ...taken.filter((t) => t.subnet_id === subnet.id).map((t) => t.ip_address)]
      .map((ip) => parseIp(ip)!.value));
    const ranges: Range[] = subnet.allocation_pools.map((p) => ({ start: parseIp(p.start)!.value, end: parseIp(p.end)!.value }));
    const ip = pickFreeIp(ranges, used, this.random);
    return ip === undefined ? undefined : { subnet_id: subnet.id, ip_address: formatIp(c.family, ip) };
  }

  /** Requested fixed IPs, or Neutron's default: one IPv4 and one IPv6 address (all SLAAC ones). */
  async allocate(requested: RequestedFixedIp[] | undefined, current: FixedIp[] = []): Promise<FixedIp[]> {
    if (requested === undefined) return this.defaults();
    const out: FixedIp[] = [];
    for (const r of requested) {
      if (r.ip_address !== undefined) {
        const ip = parseIp(r.ip_address)!;
        const subnet = r.subnet_id !== undefined
          ? this.subnetFor(r.subnet_id)
          : this.subnets.find((s) => cidrContains(parseCidr(s.cidr)!, ip.family, ip.value));
        if (!subnet) throw errors.invalidIpForNetwork(r.ip_address);
        if (!validOnSubnet(subnet, ip)) throw errors.invalidIpForSubnet(r.ip_address);
        out.push(await this.take(subnet, r.ip_address));
      } else {
        const subnet = this.subnetFor(r.subnet_id!);
        const kept = current.find((c) => c.subnet_id === subnet.id && !out.some((o) => o.ip_address === c.ip_address));
        const got = kept ?? await this.auto(subnet, out);
        if (!got) throw errors.ipExhausted(this.net.id);
        out.push(got);
      }
    }
    return out;
  }

  private async defaults(): Promise<FixedIp[]> {
    const out: FixedIp[] = [];
    for (const version of [4, 6] as const) {
      const candidates = this.subnets.filter((s) => s.ip_version === version);
      const slaac = candidates.filter((s) => s.ipv6_address_mode === 'slaac' || s.ipv6_address_mode === 'dhcpv6-stateless');
      for (const s of slaac) out.push((await this.auto(s, out))!);
      const stateful = candidates.filter((s) => !slaac.includes(s));
      if (!stateful.length) continue;
      let got: FixedIp | undefined;
      for (const s of stateful) if ((got = await this.auto(s, out))) break;
      if (!got) throw errors.ipExhausted(this.net.id);
      out.push(got);
    }
    return out;
  }
}

/**
 * _get_security_groups_on_port: the groups a port asks for must exist and be visible
 * to the port's project (its own, or shared with it); stateful and stateless must not mix.
 */
async function checkGroups(db: Repositories, ctx: Context, project: string, ids: string[]): Promise<void> {
  const groups = new Map((await db.securityGroups.list({ where: { id: ids }, visibleTo: ctx.isAdmin ? undefined : project })).map((g) => [g.id, g]));
  const missing = ids.filter((id) => !groups.has(id));
  if (missing.length) throw errors.sgNotFound(missing.join(', '));
  const kinds = new Set(ids.map((id) => groups.get(id)!.stateful));
  if (kinds.size > 1) throw errors.sgConflict();
}

const hasItems = (item: Body, key: string) => Array.isArray(item[key]) && (item[key] as unknown[]).length > 0;

export function portHandler(random: Random = Math.random, quotas: Quotas = NEUTRON_QUOTAS): Handler {
  return {
    spec: portSpec,
    columns: {
      ...COMMON_COLUMNS, ...NAME_COLUMN, network_id: { field: 'network_id', type: 'text' }, mac_address: { field: 'mac_address', type: 'text' },
      admin_state_up: { field: 'admin_state_up', type: 'bool' }, status: { field: 'status', type: 'text' },
      device_id: { field: 'device_id', type: 'text' }, device_owner: { field: 'device_owner', type: 'text' },
      port_security_enabled: { field: 'port_security_enabled', type: 'bool' }, 'binding:host_id': { field: 'host_id', type: 'text' },
      'binding:vnic_type': { field: 'vnic_type', type: 'text' },
    },
    sets: {
      security_groups: { set: 'security_groups' },
      fixed_ips: {
        keys: {
          ip_address: { set: 'fixed_ips.ip_address' }, subnet_id: { set: 'fixed_ips.subnet_id' },
          ip_address_substr: { set: 'fixed_ips.ip_address', like: true },
        },
      },
    },
    list: async (db, ctx, query) => (await db.ports.list({ ...query as ListQuery<PortField, PortSet>, visibleTo: readerOf(ctx) })).map(portView),
    show: async (db, ctx, id) => portView(await visiblePort(db, ctx, id)),
    async create(db, ctx, item) {
      const net = await visibleNetwork(db, ctx, item.network_id as string);
      enforcePolicy(ctx, 'create', item, net);
      const project = owningProject(ctx, item);
      const id = newId();
      const mac = (item.mac_address as string | undefined) ?? await randomMac(db, net.id, random);
      if (item.mac_address !== undefined && await db.ports.macInUse(net.id, mac)) throw errors.macInUse(net.id, mac);
      const ips = await (await Allocator.on(db, net, id, mac, random)).allocate(item.fixed_ips as RequestedFixedIp[] | undefined);
      const portSecurity = (item.port_security_enabled as boolean | undefined) ?? net.port_security_enabled;
      if (hasItems(item, 'allowed_address_pairs') && !portSecurity) throw errors.aapNeedsPortSecurity();
      if (!portSecurity && hasItems(item, 'security_groups')) throw errors.sgNeedsPortSecurity();
      const trusted = (item.device_owner as string).startsWith('network:');
      let groups: string[] = [];
      if ('security_groups' in item) {
        groups = item.security_groups as string[];
        await checkGroups(db, ctx, project, groups);
      } else if (portSecurity && !trusted) {
        groups = [await ensureDefaultGroup(db, quotas, project)];
      }
      const pairs = resolvePairs((item.allowed_address_pairs as RequestedPair[] | undefined) ?? [], mac);
      return portView(await db.ports.create({
        id, project_id: project, network_id: net.id, name: item.name as string, mac_address: mac, admin_state_up: !!item.admin_state_up,
        status: 'DOWN', device_id: item.device_id as string, device_owner: item.device_owner as string, port_security_enabled: portSecurity,
        host_id: item['binding:host_id'] as string, vnic_type: item['binding:vnic_type'] as string,
        profile: item['binding:profile'] as Record<string, unknown>, fixed_ips: ips, allowed_address_pairs: pairs, security_groups: groups,
        // binding the port revises it at creation
        description: item.description as string, revision_number: 1,
      }));
    },
    async update(db, ctx, id, item) {
      const before = await visiblePort(db, ctx, id);
      const net = (await db.networks.get(before.network_id))!;
      enforcePolicy(ctx, 'update', item, net, before);
      const mac = (item.mac_address as string | undefined) ?? before.mac_address;
      if (mac !== before.mac_address && await db.ports.macInUse(net.id, mac)) throw errors.macInUse(net.id, mac);
      const ips = 'fixed_ips' in item
        ? await (await Allocator.on(db, net, id, mac, random)).allocate(item.fixed_ips as RequestedFixedIp[], before.fixed_ips)
        : before.fixed_ips;
      const portSecurity = (item.port_security_enabled as boolean | undefined) ?? before.port_security_enabled;
      const clearsPairs = 'allowed_address_pairs' in item && !hasItems(item, 'allowed_address_pairs');
      const clearsGroups = 'security_groups' in item && !hasItems(item, 'security_groups');
      if (!portSecurity) {
        if (hasItems(item, 'allowed_address_pairs')) throw errors.aapNeedsPortSecurity();
        if (!clearsPairs && before.allowed_address_pairs.length) throw errors.aapNeedsPortSecurity();
        if (hasItems(item, 'security_groups')) throw errors.sgNeedsPortSecurity();
        if (!clearsGroups && before.security_groups.length) throw errors.portHasSg();
      }
      const groups = 'security_groups' in item ? (item.security_groups as string[]) : before.security_groups;
      if ('security_groups' in item) await checkGroups(db, ctx, before.project_id, groups);
      const pairs = 'allowed_address_pairs' in item
        ? resolvePairs(item.allowed_address_pairs as RequestedPair[], mac)
        : before.allowed_address_pairs;
      const attrs: Record<string, keyof PortChanges> = {
        name: 'name', admin_state_up: 'admin_state_up', device_id: 'device_id', device_owner: 'device_owner',
        port_security_enabled: 'port_security_enabled', 'binding:host_id': 'host_id', 'binding:vnic_type': 'vnic_type',
        'binding:profile': 'profile', mac_address: 'mac_address',
      };
      const changes: PortChanges = Object.fromEntries(Object.entries(attrs).filter(([attr]) => attr in item).map(([attr, field]) => [field, item[attr]]));
      if ('fixed_ips' in item) changes.fixed_ips = ips;
      if (!samePairs(pairs, before.allowed_address_pairs)) changes.allowed_address_pairs = pairs;
      if ('security_groups' in item) changes.security_groups = groups;
      const revision = { bump: portRevisionBump(item, before.security_groups, groups), description: item.description as string | undefined };
      return portView(await db.ports.update(id, changes, revision));
    },
    async remove(db, ctx, id) {
      await visiblePort(db, ctx, id);
      await db.ports.remove(id);
    },
    revision: async (db, ctx, id) => (await visiblePort(db, ctx, id)).revision_number,
  };
}
