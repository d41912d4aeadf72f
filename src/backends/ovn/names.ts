/**
 * The Northbound names Neutron's OVN driver gives its objects (neutron/common/ovn/utils.py,
 * constants.py): OVN reads a UUID-shaped name as a row reference, hence the prefixes, and
 * accepts no '-' in a port group's or address set's name.
 */
import { type Family } from '../../policy/ir.js';

/** ovn_name: a network's logical switch */
export const switchName = (networkId: string): string => `neutron-${networkId}`;

/** ovn_port_group_name: a security group's port group */
export const portGroupName = (groupId: string): string => `pg-${groupId}`.replaceAll('-', '_');

/** ovn_pg_addrset_name: the address set ovn-northd builds from a port group's members' `addresses` */
export const addressSetName = (groupId: string, family: Family): string => `pg-${groupId}-${family === 'IPv4' ? 'ip4' : 'ip6'}`.replaceAll('-', '_');

/** OVN_DROP_PORT_GROUP_NAME: every filtered port is in it, and its ACLs drop all IP */
export const DROP_PORT_GROUP = 'neutron_pg_drop';

/** ACL_PRIORITY_ALLOW, ACL_PRIORITY_DROP (Zed; master lowered the drop to 1000) */
export const PRIORITY = { allow: 1002, drop: 1001 } as const;

/** the rule's external id that names it (OVN_SG_RULE_EXT_ID_KEY) */
export const RULE_ID_KEY = 'neutron:security_group_rule_id';
