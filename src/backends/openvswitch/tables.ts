/** The OVS firewall's tables and constants (neutron-lib ovs_constants, Neutron's openvswitch_firewall/constants.py). */
import { type Ethertype } from '../../model/security-group-rule.js';

export const TABLE = {
  TRANSIENT: 60,
  BASE_EGRESS: 71,
  RULES_EGRESS: 72,
  ACCEPT_OR_INGRESS: 73,
  BASE_INGRESS: 81,
  RULES_INGRESS: 82,
  ACCEPTED_EGRESS: 91,
  ACCEPTED_INGRESS: 92,
  DROPPED: 93,
  ACCEPTED_EGRESS_NORMAL: 94,
} as const;

/** OVS_FIREWALL_TABLES: the tables whose unmatched packets the driver drops */
export const FIREWALL_TABLES = [TABLE.BASE_EGRESS, TABLE.RULES_EGRESS, TABLE.ACCEPT_OR_INGRESS, TABLE.BASE_INGRESS, TABLE.RULES_INGRESS];

export const ETHERTYPE: Record<Ethertype, number> = { IPv4: 0x0800, IPv6: 0x86dd };
export const ETHERTYPE_ARP = 0x0806;

export const PROTO_UDP = 17;
export const PROTO_IPV6_ICMP = 58;

export const CT_MARK_NORMAL = '0x0';
export const CT_MARK_INVALID = '0x1';
/** the conntrack zone is the port's local VLAN, held in reg6 */
export const CT_ZONE = 'NXM_NX_REG6[0..15]';
