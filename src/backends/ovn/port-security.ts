/**
 * A Neutron port as its Logical_Switch_Port (ovn_client.py _get_port_options and
 * _get_allowed_addresses_from_port, Zed, with OVN's FDB table present): `port_security`
 * holds the fixed IPs and every allowed-address pair, `addresses` (which ovn-northd
 * builds the remote groups' address sets from) the fixed IPs and only the pairs' MACs.
 */
import { portKind } from '../../policy/compile.js';
import { type TopologyPort } from '../../policy/topology.js';
import { type Lsp } from './rows.js';
import { switchName } from './names.js';

/** DEVICE_OWNER_DISTRIBUTED: the metadata port, a `localport` */
const METADATA_OWNER = 'network:distributed';
/** is_lsp_ignored: a floating IP's port is not bound anywhere, so OVN gets no row for it */
export const isIgnored = (p: TopologyPort): boolean => p.device_owner === 'network:floatingip';

/**
 * _get_allowed_addresses_from_port: nothing for a port without port security or a trusted one;
 * else one entry with the port's MAC, fixed IPs and the pairs on that MAC (compared as text, as
 * the API stores a pair's MAC), and one per pair on another MAC; and those other MACs.
 */
export function allowedAddresses(p: TopologyPort): { portSecurity: string[]; newMacs: string[] } {
  if (portKind(p) !== 'filtered') return { portSecurity: [], newMacs: [] };
  const entries = new Set<string>();
  const newMacs = new Set<string>();
  let own = [p.mac_address, ...p.fixed_ips].join(' ');
  for (const a of p.allowed_address_pairs) {
    const mac = a.stored_mac;
    if (mac === p.mac_address) {
      own += ` ${a.ip_address}`;
    } else {
      entries.add(`${mac} ${a.ip_address}`);
      newMacs.add(mac);
    }
  }
  entries.add(own);
  return { portSecurity: [...entries], newMacs: [...newMacs] };
}

/** get_ovn_port_addresses: the IPs a row names in `addresses` and `port_security` (each entry's words after its MAC) */
export const rowIps = (l: Lsp): string[] => [...l.addresses, ...l.port_security].flatMap((a) => a.split(' ').slice(1));

/**
 * The port's row, given the IPs the rows created before it on its switch name (rowIps): a
 * fixed IP among them (a keepalived VIP another port holds as a pair) makes it a `virtual`
 * port, and its `addresses` stop at that IP (get_virtual_port_parents, then the loop's break).
 */
export function lspRow(p: TopologyPort, ipsOnSwitch: ReadonlySet<string>): Lsp {
  let type = '';
  let address = p.mac_address;
  for (const ip of p.fixed_ips) {
    address += ` ${ip}`;
    if (ipsOnSwitch.has(ip)) {
      type = 'virtual';
      break;
    }
  }
  if (p.device_owner === METADATA_OWNER) type = 'localport';
  const { portSecurity, newMacs } = allowedAddresses(p);
  // without port security OVN lets the port use any MAC only when `addresses` says "unknown"
  const addresses = portSecurity.length || type ? [address, ...newMacs] : ['unknown'];
  return { addresses, name: p.id, port_security: portSecurity, switch: switchName(p.network_id), type };
}
