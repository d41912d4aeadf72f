/**
 * A rule's protocol as OVN matches it (neutron/common/ovn/acl.py _get_protocol_number):
 * always by number, neutron-lib's IP_PROTOCOL_MAP naming them. Unlike iptables,
 * nothing resolves through /etc/protocols, and 0 (`ip`, `hopopt`) is `ip.proto == 0`.
 */
import { protocolNumber } from '../../model/protocols.js';

/** The protocol number, or null when the rule names no protocol. */
export function ovnProtocol(protocol: string | null): number | null {
  const text = protocolNumber(protocol);
  if (text === undefined) return null;
  // Python's int(): the API keeps a number as it was written (" 06 " included)
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new Error(`protocol ${JSON.stringify(protocol)}: not one OVN's driver knows`);
  return n;
}
