/**
 * Ports, in the order ML2's create_port/update_port does things: policy on
 * network-owner attributes, MAC and fixed IPs, port-security checks, security
 * groups, allowed address pairs.
 */
import { cidrContains, broadcast, formatIp, network as networkAddr, parseCidr, parseIp } from '../model/addresses.js';
import { type AddressPair, type RequestedPair, resolvePairs, samePairs } from '../model/allowed-address-pairs.js';
import { errors } from '../model/errors.js';
import { eui64, pickFreeIp, type Range } from '../model/ipam.js';
import { type Network } from '../model/network.js';
import { type FixedIp, type Port, portRevisionBump, portSpec, portView, type RequestedFixedIp } from '../model/port.js';
import { enforcePortPolicy } from '../model/port-policy.js';
import { type Random } from '../model/random.js';
import { type Body, type Context } from '../model/schema.js';
import { type Subnet } from '../model/subnet.js';
import { owns } from './access.js';
import { type Handler, owningProject } from './handler.js';
import { visibleNetwork } from './networks.js';
import { ensureDefaultGroup } from './security-groups.js';
import { newId, type Store } from './store.js';

export function visiblePort(store: Store, ctx: Context, id: string): Port {
  const p = store.port(id);
  if (!p || !(owns(ctx, p.project_id) || store.network(p.network_id)?.project_id === ctx.projectId)) throw errors.portNotFound(id);
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

function randomMac(store: Store, networkId: string, random: Random): string {
  for (;;) {
    const bytes = [0, 1, 2].map(() => Math.floor(random() * 256));
    const mac = ['fa', '16', '3e', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
    if (!store.macInUse(networkId, mac)) return mac;
  }
}

/** check_subnet_ip: inside the subnet and, for IPv4, neither its network nor its broadcast address. */
function validOnSubnet(subnet: Subnet, ip: { family: 4 | 6; value: bigint }): boolean {
  const c = parseCidr(subnet.cidr)!;
  if (!cidrContains(c, ip.family, ip.value)) return false;
  return c.family === 6 ? ip.value !== networkAddr(c) : ip.value !== networkAddr(c) && ip.value !== broadcast(c);
}

class Allocator {
  private readonly subnets: Subnet[];

  constructor(
    private readonly store: Store, private readonly net: Network, private readonly portId: string,
    private readonly mac: string, private readonly random: Random,
  ) {
    this.subnets = store.subnetsOf(net.id);
  }

  private subnetFor(id: string): Subnet {
    const s = this.subnets.find((x) => x.id === id);
    if (!s) throw errors.invalidInput(`Failed to create port on network ${this.net.id}, because fixed_ips included invalid subnet ${id}`);
    return s;
  }

  private take(subnet: Subnet, ip: string): FixedIp {
    const holder = this.store.allocation(subnet.id, ip);
    if (holder && holder !== this.portId) throw errors.ipAllocated(ip, subnet.id);
    return { subnet_id: subnet.id, ip_address: ip };
  }

  private auto(subnet: Subnet, taken: FixedIp[]): FixedIp | undefined {
    const c = parseCidr(subnet.cidr)!;
    if (subnet.ipv6_address_mode === 'slaac' || subnet.ipv6_address_mode === 'dhcpv6-stateless') {
      return this.take(subnet, formatIp(6, eui64(c, this.mac)));
    }
    const used = new Set([...this.store.allocatedIps(subnet.id), ...taken.filter((t) => t.subnet_id === subnet.id).map((t) => t.ip_address)]
      .map((ip) => parseIp(ip)!.value));
    const ranges: Range[] = subnet.allocation_pools.map((p) => ({ start: parseIp(p.start)!.value, end: parseIp(p.end)!.value }));
    const ip = pickFreeIp(ranges, used, this.random);
    return ip === undefined ? undefined : { subnet_id: subnet.id, ip_address: formatIp(c.family, ip) };
  }

  /** Requested fixed IPs, or Neutron's default: one IPv4 and one IPv6 address (all SLAAC ones). */
  allocate(requested: RequestedFixedIp[] | undefined, current: FixedIp[] = []): FixedIp[] {
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
        out.push(this.take(subnet, r.ip_address));
      } else {
        const subnet = this.subnetFor(r.subnet_id!);
        const kept = current.find((c) => c.subnet_id === subnet.id && !out.some((o) => o.ip_address === c.ip_address));
        const got = kept ?? this.auto(subnet, out);
        if (!got) throw errors.ipExhausted(this.net.id);
        out.push(got);
      }
    }
    return out;
  }

  private defaults(): FixedIp[] {
    const out: FixedIp[] = [];
    for (const version of [4, 6] as const) {
      const candidates = this.subnets.filter((s) => s.ip_version === version);
      const slaac = candidates.filter((s) => s.ipv6_address_mode === 'slaac' || s.ipv6_address_mode === 'dhcpv6-stateless');
      for (const s of slaac) out.push(this.auto(s, out)!);
      const stateful = candidates.filter((s) => !slaac.includes(s));
      if (!stateful.length) continue;
      const got = stateful.map((s) => this.auto(s, out)).find((x) => x !== undefined);
      if (!got) throw errors.ipExhausted(this.net.id);
      out.push(got);
    }
    return out;
  }
}

/** The groups a port asks for must exist and be visible; stateful and stateless must not mix. */
function checkGroups(store: Store, ctx: Context, project: string, ids: string[]): void {
  const missing = ids.filter((id) => {
    const sg = store.group(id);
    return !sg || !(ctx.isAdmin || sg.project_id === project);
  });
  if (missing.length) throw errors.sgNotFound(missing.join(', '));
  const kinds = new Set(ids.map((id) => store.group(id)!.stateful));
  if (kinds.size > 1) throw errors.sgConflict();
}

const hasItems = (item: Body, key: string) => Array.isArray(item[key]) && (item[key] as unknown[]).length > 0;

function writePort(store: Store, id: string, ips: FixedIp[], pairs: AddressPair[], groups: string[], networkId: string): void {
  store.setFixedIps(id, networkId, ips);
  store.setPairs(id, pairs);
  store.setPortGroups(id, groups);
}

export function portHandler(store: Store, random: Random = Math.random): Handler {
  return {
    spec: portSpec,
    list(ctx) {
      const nets = new Map(store.allNetworks().map((n) => [n.id, n.project_id]));
      return store.allPorts().filter((p) => owns(ctx, p.project_id) || nets.get(p.network_id) === ctx.projectId).map(portView);
    },
    show: (ctx, id) => portView(visiblePort(store, ctx, id)),
    create(ctx, item) {
      const net = visibleNetwork(store, ctx, item.network_id as string);
      enforcePolicy(ctx, 'create', item, net);
      const project = owningProject(ctx, item);
      const id = newId();
      const mac = (item.mac_address as string | undefined) ?? randomMac(store, net.id, random);
      if (item.mac_address !== undefined && store.macInUse(net.id, mac)) throw errors.macInUse(net.id, mac);
      const ips = new Allocator(store, net, id, mac, random).allocate(item.fixed_ips as RequestedFixedIp[] | undefined);
      const portSecurity = (item.port_security_enabled as boolean | undefined) ?? net.port_security_enabled;
      if (hasItems(item, 'allowed_address_pairs') && !portSecurity) throw errors.aapNeedsPortSecurity();
      if (!portSecurity && hasItems(item, 'security_groups')) throw errors.sgNeedsPortSecurity();
      const trusted = (item.device_owner as string).startsWith('network:');
      let groups: string[] = [];
      if ('security_groups' in item) {
        groups = item.security_groups as string[];
        checkGroups(store, ctx, project, groups);
      } else if (portSecurity && !trusted) {
        groups = [ensureDefaultGroup(store, project)];
      }
      const pairs = resolvePairs((item.allowed_address_pairs as RequestedPair[] | undefined) ?? [], mac);
      store.run(
        `INSERT INTO ports (id, project_id, network_id, name, mac_address, admin_state_up, status, device_id, device_owner,
           port_security_enabled, host_id, vnic_type, profile, std_id) VALUES (?, ?, ?, ?, ?, ?, 'DOWN', ?, ?, ?, ?, ?, ?, ?)`,
        id, project, net.id, item.name, mac, item.admin_state_up ? 1 : 0, item.device_id, item.device_owner,
        portSecurity ? 1 : 0, item['binding:host_id'], item['binding:vnic_type'], JSON.stringify(item['binding:profile']),
        store.newStd('ports', item.description as string, 1),
      );
      writePort(store, id, ips, pairs, groups, net.id);
      store.changed('port', id, 'create');
      return portView(store.port(id)!);
    },
    update(ctx, id, item) {
      const before = visiblePort(store, ctx, id);
      const net = store.network(before.network_id)!;
      enforcePolicy(ctx, 'update', item, net, before);
      const mac = (item.mac_address as string | undefined) ?? before.mac_address;
      if (mac !== before.mac_address && store.macInUse(net.id, mac)) throw errors.macInUse(net.id, mac);
      const ips = 'fixed_ips' in item
        ? new Allocator(store, net, id, mac, random).allocate(item.fixed_ips as RequestedFixedIp[], before.fixed_ips)
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
      if ('security_groups' in item) checkGroups(store, ctx, before.project_id, groups);
      const pairs = 'allowed_address_pairs' in item
        ? resolvePairs(item.allowed_address_pairs as RequestedPair[], mac)
        : before.allowed_address_pairs;
      const scalar: [string, string, (v: unknown) => unknown][] = [
        ['name', 'name', (v) => v], ['admin_state_up', 'admin_state_up', (v) => (v ? 1 : 0)], ['device_id', 'device_id', (v) => v],
        ['device_owner', 'device_owner', (v) => v], ['port_security_enabled', 'port_security_enabled', (v) => (v ? 1 : 0)],
        ['binding:host_id', 'host_id', (v) => v], ['binding:vnic_type', 'vnic_type', (v) => v],
        ['binding:profile', 'profile', (v) => JSON.stringify(v)], ['mac_address', 'mac_address', (v) => v],
      ];
      for (const [attr, col, enc] of scalar) if (attr in item) store.run(`UPDATE ports SET ${col} = ? WHERE id = ?`, enc(item[attr]), id);
      if ('fixed_ips' in item) store.setFixedIps(id, net.id, ips);
      if (!samePairs(pairs, before.allowed_address_pairs)) store.setPairs(id, pairs);
      if ('security_groups' in item) store.setPortGroups(id, groups);
      store.bump(before.standard_attr_id, portRevisionBump(item, before.security_groups, groups), item.description as string | undefined);
      store.changed('port', id, 'update');
      return portView(store.port(id)!);
    },
    remove(ctx, id) {
      visiblePort(store, ctx, id);
      store.run('DELETE FROM ports WHERE id = ?', id);
      store.changed('port', id, 'delete');
    },
    revision: (ctx, id) => visiblePort(store, ctx, id).revision_number,
  };
}
