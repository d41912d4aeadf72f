/** Subnets: CIDR normalisation, overlap within the network, gateway and allocation pools. */
import { broadcast, type Cidr, cidrContains, cidrsOverlap, formatIp, network, parseCidr, parseIp } from '../model/addresses.js';
import { errors } from '../model/errors.js';
import { defaultGateway, formatPools, generatePools, type Pool, parsePools } from '../model/ipam.js';
import { type Body, type Context } from '../model/schema.js';
import { parseSubnetCidr, type Subnet, subnetSpec, subnetView } from '../model/subnet.js';
import { owns, readerOf } from './access.js';
import { COMMON_COLUMNS, type Handler, NAME_COLUMN, owningProject } from './handler.js';
import { newId } from './ids.js';
import { visibleNetwork } from './networks.js';
import { type ListQuery, type Repositories, type SubnetChanges, type SubnetField } from './repository.js';

export async function visibleSubnet(db: Repositories, ctx: Context, id: string): Promise<Subnet> {
  const s = await db.subnets.get(id, readerOf(ctx));
  if (!s) throw errors.subnetNotFound(id);
  return s;
}

function gatewayFor(item: Body, cidr: ReturnType<typeof parseSubnetCidr>['cidr']): bigint | null {
  if (!('gateway_ip' in item)) return defaultGateway(cidr);
  if (item.gateway_ip === null) return null;
  const gw = parseIp(item.gateway_ip)!;
  if (gw.family !== cidr.family) throw errors.invalidInput(`gateway_ip '${String(item.gateway_ip)}' does not match the ip_version '${cidr.family}'`);
  // check_gateway_invalid_in_subnet: a gateway outside the subnet is taken as given (its subnet is not known);
  // inside an IPv4 one it may not be the network or the broadcast address
  const inside = cidrContains(cidr, gw.family, gw.value);
  if (inside && cidr.family === 4 && (gw.value === network(cidr) || gw.value === broadcast(cidr))) throw errors.invalidInput(`Gateway is not valid on subnet`);
  return gw.value;
}

/** In Neutron a subnet's create, update and delete each revise its network once. */
const reviseNetwork = (db: Repositories, id: string) => db.networks.update(id, {}, { bump: 1 });

/** _validate_subnet: the subnets DHCP cannot serve (DHCP being turned on). */
function checkDhcp(cidr: Cidr): void {
  if (cidr.prefixlen > (cidr.family === 4 ? 30 : 126)) throw errors.invalidInput('Subnet has a prefix length that is incompatible with DHCP service enabled');
  const first = network(cidr);
  const inside = (text: string) => { const c = parseCidr(text)!; return c.family === cidr.family && cidrContains(c, cidr.family, first); };
  if (inside(cidr.family === 4 ? '224.0.0.0/4' : 'ff00::/8')) throw errors.invalidInput('Multicast IP subnet is not supported if enable_dhcp is True');
  if (inside(cidr.family === 4 ? '127.0.0.0/8' : '::1/128')) throw errors.invalidInput('Loopback IP subnet is not supported if enable_dhcp is True');
  // Neutron's message ends in a full stop of its own
  if (cidr.family === 4 && first === 0n) throw errors.invalidInput('First IP \'0.0.0.0\' of network is not supported if enable_dhcp is True.');
}

const AUTO_ADDRESS_MODES = new Set(['slaac', 'dhcpv6-stateless']);

/** _validate_subnet's IPv6 modes: none on IPv4; on IPv6 only with DHCP, the two alike, and EUI-64 (a /64) when addresses are automatic. */
function checkModes(item: Body, version: 4 | 6, prefixlen: number): void {
  const ra = item.ipv6_ra_mode as string | null;
  const address = item.ipv6_address_mode as string | null;
  if (version === 4) {
    for (const [name, mode] of [['ipv6_ra_mode', ra], ['ipv6_address_mode', address]]) {
      if (mode) throw errors.invalidInput(`${name} is not valid when ip_version is 4`);
    }
    return;
  }
  if ((ra || address) && !item.enable_dhcp) throw errors.invalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False');
  if (ra && address && ra !== address) {
    throw errors.invalidInput(`ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${address}' is not valid. If both attributes are set, they must be the same value`);
  }
  if ((AUTO_ADDRESS_MODES.has(ra ?? '') || AUTO_ADDRESS_MODES.has(address ?? '')) && prefixlen !== 64) {
    throw errors.invalidInput(`Invalid CIDR ${String(item.cidr)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64`);
  }
}

export function subnetHandler(): Handler {
  return {
    spec: subnetSpec,
    columns: {
      ...COMMON_COLUMNS, ...NAME_COLUMN, network_id: { field: 'network_id', type: 'text' }, ip_version: { field: 'ip_version', type: 'int' },
      cidr: { field: 'cidr', type: 'text' }, gateway_ip: { field: 'gateway_ip', type: 'text?' }, enable_dhcp: { field: 'enable_dhcp', type: 'bool' },
      ipv6_ra_mode: { field: 'ipv6_ra_mode', type: 'text?' }, ipv6_address_mode: { field: 'ipv6_address_mode', type: 'text?' },
    },
    list: async (db, ctx, query) => (await db.subnets.list({ ...query as ListQuery<SubnetField>, visibleTo: readerOf(ctx) })).map(subnetView),
    show: async (db, ctx, id) => subnetView(await visibleSubnet(db, ctx, id)),
    async create(db, ctx, item) {
      const net = await visibleNetwork(db, ctx, item.network_id as string);
      // Zed's create_subnet (new defaults or'd with the deprecated rule): the network's owner, an admin,
      // or a member making the subnet in its own project, on any network it sees (a shared one)
      const member = ctx.roles.includes('member') && owningProject(ctx, item) === ctx.projectId;
      if (!owns(ctx, net.project_id) && !member) throw errors.policy('rule:create_subnet');
      const version = item.ip_version as 4 | 6;
      const { cidr, text } = parseSubnetCidr(item.cidr, version);
      // _validate_subnet (DHCP, gateway, then the IPv6 modes) before IPAM looks at the network's other subnets
      if (item.enable_dhcp) checkDhcp(cidr);
      const gateway = gatewayFor(item, cidr);
      checkModes(item, version, cidr.prefixlen);
      // _validate_subnet_cidr: dnsmasq cannot serve a /0
      if (cidr.prefixlen === 0) throw errors.invalidInput('0 is not allowed as CIDR prefix length');
      for (const other of await db.subnets.list({ where: { network_id: [net.id] } })) {
        if (cidrsOverlap(cidr, parseCidr(other.cidr)!)) {
          throw errors.invalidInput(`Requested subnet with cidr: ${text} for network: ${net.id} overlaps with another subnet`);
        }
      }
      // no pools, or an empty list of them: generated around the gateway
      const pools: Pool[] = (item.allocation_pools as Pool[] | undefined)?.length
        ? (parsePools(cidr, text, item.allocation_pools as Pool[], gateway), item.allocation_pools as Pool[])
        : formatPools(cidr, generatePools(cidr, gateway));
      const made = subnetView(await db.subnets.create({
        id: newId(), project_id: owningProject(ctx, item), network_id: net.id, name: item.name as string, ip_version: version, cidr: text,
        gateway_ip: gateway === null ? null : formatIp(version, gateway), allocation_pools: pools, enable_dhcp: !!item.enable_dhcp,
        dns_nameservers: item.dns_nameservers as string[], host_routes: item.host_routes as Subnet['host_routes'],
        ipv6_ra_mode: (item.ipv6_ra_mode as string | undefined) ?? null, ipv6_address_mode: (item.ipv6_address_mode as string | undefined) ?? null,
        description: item.description as string,
      }));
      await reviseNetwork(db, net.id);
      return made;
    },
    async update(db, ctx, id, item) {
      const s = await visibleSubnet(db, ctx, id);
      if (!owns(ctx, s.project_id)) throw errors.policy('rule:update_subnet');
      const cidr = parseCidr(s.cidr)!;
      if (item.enable_dhcp && !s.enable_dhcp) checkDhcp(cidr);
      const changes: SubnetChanges = {};
      if ('gateway_ip' in item || 'allocation_pools' in item) {
        const gateway = 'gateway_ip' in item ? gatewayFor(item, cidr) : s.gateway_ip === null ? null : parseIp(s.gateway_ip)!.value;
        const pools = (item.allocation_pools as Pool[] | undefined) ?? s.allocation_pools;
        parsePools(cidr, s.cidr, pools, gateway);
        changes.gateway_ip = gateway === null ? null : formatIp(s.ip_version, gateway);
        changes.allocation_pools = pools;
      }
      for (const field of ['name', 'enable_dhcp', 'dns_nameservers', 'host_routes'] as const) {
        if (field in item) Object.assign(changes, { [field]: item[field] });
      }
      // any update revises the subnet, an empty one too, and its network with it
      const updated = subnetView(await db.subnets.update(id, changes, { bump: 1, description: item.description as string | undefined }));
      await reviseNetwork(db, s.network_id);
      return updated;
    },
    async remove(db, ctx, id) {
      const s = await visibleSubnet(db, ctx, id);
      if (!owns(ctx, s.project_id)) throw errors.policy('rule:delete_subnet');
      if ((await db.ports.usingSubnet(id)).length) throw errors.subnetInUse(id);
      await db.subnets.remove(id);
      await reviseNetwork(db, s.network_id);
    },
    revision: async (db, ctx, id) => (await visibleSubnet(db, ctx, id)).revision_number,
    writesWhenEmpty: true,
  };
}
