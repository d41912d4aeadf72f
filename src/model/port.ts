/** The port resource: schema, fixed_ips input, revision bumps and the API view. */
import { canonicalIpText, canonicalMac, parseIp } from './addresses.js';
import { type AddressPair, addressPairsInput, sortPairs } from './allowed-address-pairs.js';
import { idAttr, nameAttr, portTagsAttr, projectAttrs, projectView, standardAttrs, standardView, type StandardAttrs } from './common.js';
import { boolean, check, isUuid, oneOf, pyRepr, type ResourceSpec, string, uuid } from './schema.js';

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

export interface Port extends StandardAttrs {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: boolean;
  host_id: string;
  vnic_type: string;
  profile: Record<string, unknown>;
  fixed_ips: FixedIp[];
  allowed_address_pairs: AddressPair[];
  security_groups: string[];
}

export interface RequestedFixedIp {
  subnet_id?: string;
  ip_address?: string;
}

/** neutron-lib validate_fixed_ips */
const fixedIps = check((v) => {
  if (!Array.isArray(v)) return `Invalid data format for fixed IP: '${pyRepr(v)}'`;
  const ips: unknown[] = [];
  for (const f of v) {
    if (typeof f !== 'object' || f === null || Array.isArray(f)) return `Invalid data format for fixed IP: '${pyRepr(f)}'`;
    const extra = Object.keys(f).filter((k) => k !== 'subnet_id' && k !== 'ip_address');
    if (extra.length) return `Invalid data format for fixed IP: '${pyRepr(f)}'`;
    if ('ip_address' in f) {
      if (ips.includes(f.ip_address)) return `Duplicate IP address '${pyRepr(f.ip_address)}'`;
      if (!parseIp(f.ip_address)) return `'${pyRepr(f.ip_address)}' is not a valid IP address`;
      ips.push(f.ip_address);
    }
    if ('subnet_id' in f && !isUuid(f.subnet_id)) return `'${pyRepr(f.subnet_id)}' is not a valid UUID`;
  }
  return undefined;
  // the address as IPAM stores it: str(netaddr.IPAddress), so ::ffff:ae9:809d is ::ffff:10.233.128.157
}, (v) => (v as RequestedFixedIp[]).map((f) => (f.ip_address === undefined ? f : { ...f, ip_address: canonicalIpText(f.ip_address) })));

/** validate_uuid_list with convert_none_to_empty_list: duplicates first, then each id. */
const uuidList = check((v) => {
  if (v === null) return undefined;
  if (!Array.isArray(v)) return `'${pyRepr(v)}' is not a list`;
  const dups = v.filter((x, i) => v.indexOf(x) !== i);
  if (dups.length) return `Duplicate items in the list: '${[...new Set(dups)].map(pyRepr).join(', ')}'`;
  const bad = v.find((x) => !isUuid(x));
  return bad === undefined ? undefined : `'${pyRepr(bad)}' is not a valid UUID`;
}, (v) => (v ?? []) as string[]);

const mac = check((v) => (canonicalMac(v) ? undefined : `'${pyRepr(v)}' is not a valid MAC address`), (v) => canonicalMac(v)!);

const VNIC_TYPES = ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa', 'accelerator-direct', 'accelerator-direct-physical', 'remote-managed'];

export const portSpec: ResourceSpec = {
  name: 'port',
  collection: 'ports',
  strictMarker: true,
  attrs: {
    id: idAttr,
    name: nameAttr,
    network_id: { post: true, put: false, required: true, input: uuid, visible: true, filter: true, sort: true },
    admin_state_up: { post: true, put: true, default: true, input: boolean, visible: true, filter: true, filterAs: boolean, sort: true },
    mac_address: { post: true, put: true, input: mac, visible: true, filter: true, sort: true },
    fixed_ips: { post: true, put: true, input: fixedIps, visible: true, filter: true },
    device_id: { post: true, put: true, default: '', input: string(255), visible: true, filter: true, sort: true },
    device_owner: { post: true, put: true, default: '', input: string(255), visible: true, filter: true, sort: true },
    ...projectAttrs,
    status: { post: false, put: false, visible: true, filter: true, sort: true },
    'binding:host_id': { post: true, put: true, default: '', input: string(255), visible: 'admin', filter: true },
    'binding:vnic_type': { post: true, put: true, default: 'normal', input: oneOf(VNIC_TYPES), visible: true },
    'binding:profile': { post: true, put: true, default: {}, visible: 'admin' },
    'binding:vif_type': { post: false, put: false, visible: 'admin' },
    'binding:vif_details': { post: false, put: false, visible: 'admin' },
    security_groups: { post: true, put: true, input: uuidList, visible: true, filter: true },
    port_security_enabled: { post: true, put: true, input: boolean, visible: true },
    allowed_address_pairs: { post: true, put: true, input: addressPairsInput, visible: true },
    extra_dhcp_opts: { post: true, put: true, default: [], visible: true },
    ...standardAttrs,
    tags: portTagsAttr,
  },
};

/**
 * How much a PUT raises the port's revision_number, as measured on Zed: any
 * change bumps once, except a body that only sets security_groups, which bumps
 * not at all when nothing changes and twice when a group-less port gains groups
 * (the group binding is flushed separately from the port row).
 */
export function portRevisionBump(body: Record<string, unknown>, before: string[], after: string[]): number {
  const keys = Object.keys(body);
  if (keys.length === 0) return 0;
  if (keys.length > 1 || keys[0] !== 'security_groups') return 1;
  const same = before.length === after.length && before.every((g) => after.includes(g));
  if (same) return 0;
  return before.length === 0 ? 2 : 1;
}

/**
 * What the port's binding says about its node: portsec's agents are linuxbridge's, so a port bound to a
 * host is bound as Neutron's linuxbridge mechanism driver binds it (mech_linuxbridge.py, Zed: VIF_TYPE_BRIDGE,
 * vif_details {port_filter: <firewall enabled>, connectivity: 'l2'}, to which ML2 adds the driver as
 * bound_drivers, plugin.py `_update_port_dict_bound_drivers`); a port without a host is unbound.
 */
export function vifBinding(hostId: string): { 'binding:vif_type': string; 'binding:vif_details': Record<string, unknown> } {
  return hostId === ''
    ? { 'binding:vif_type': 'unbound', 'binding:vif_details': {} }
    : { 'binding:vif_type': 'bridge', 'binding:vif_details': { port_filter: true, connectivity: 'l2', bound_drivers: { 0: 'linuxbridge' } } };
}

export function portView(p: Port): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    network_id: p.network_id,
    ...projectView(p.project_id),
    mac_address: p.mac_address,
    admin_state_up: p.admin_state_up,
    status: p.status,
    device_id: p.device_id,
    device_owner: p.device_owner,
    fixed_ips: p.fixed_ips,
    allowed_address_pairs: sortPairs(p.allowed_address_pairs),
    extra_dhcp_opts: [],
    security_groups: p.security_groups,
    port_security_enabled: p.port_security_enabled,
    'binding:host_id': p.host_id,
    'binding:vnic_type': p.vnic_type,
    'binding:profile': p.profile,
    ...vifBinding(p.host_id),
    ...standardView(p),
  };
}
