import { z } from 'zod';
/** The network resource: schema and API view. */
import { idAttr, nameAttr, projectAttrs, projectView, standardAttrs, standardView, type StandardAttrs } from './common.js';
import { boolean, integer, type ResourceSpec, string } from './schema.js';

export interface Network extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
  admin_state_up: boolean;
  shared: boolean;
  port_security_enabled: boolean;
  external: boolean;
  mtu: number;
  segmentation_id: number;
  subnets: string[];
}

/** VXLAN overhead taken from a 1500-byte underlay, as ML2 with tenant_network_types=vxlan does. */
export const VXLAN_MTU = 1450;

/** net-mtu-writable: convert_to_int (its own InvalidInput), then type:non_negative; 0 is no MTU asked for */
const mtu = z.unknown().transform((v, ctx) => {
  const n = integer.parse(v);
  if (n >= 0) return n;
  ctx.addIssue({ code: 'custom', message: `'${n}' should be non-negative` });
  return z.NEVER;
});

/** The provider attributes ML2 will not change, as a network of portsec's (one VXLAN segment) has them. */
export const PROVIDER_UNCHANGEABLE: Record<string, unknown> = { 'provider:network_type': 'vxlan', 'provider:physical_network': null };

export const networkSpec: ResourceSpec = {
  name: 'network',
  collection: 'networks',
  strictMarker: true,
  attrs: {
    id: idAttr,
    name: nameAttr,
    subnets: { post: false, put: false, visible: true },
    admin_state_up: { post: true, put: true, default: true, input: boolean, visible: true, filter: true, filterAs: boolean, sort: true },
    status: { post: false, put: false, visible: true, filter: true, sort: true },
    ...projectAttrs,
    shared: { post: true, put: true, default: false, input: boolean, visible: true, filter: true, filterAs: boolean, sort: true },
    mtu: { post: true, put: true, input: mtu, visible: true, filter: true, filterAs: integer, sort: true },
    port_security_enabled: { post: true, put: true, default: true, input: boolean, visible: true },
    'router:external': { post: true, put: true, default: false, input: boolean, visible: true, filter: true, filterAs: boolean },
    // writable, but ML2 takes a PUT only when it changes nothing (PROVIDER_UNCHANGEABLE)
    'provider:network_type': { post: true, put: true, input: string(255), visible: 'admin', filter: true },
    'provider:physical_network': { post: true, put: true, input: string(64), visible: 'admin', filter: true },
    'provider:segmentation_id': { post: true, put: false, visible: 'admin', filter: true, filterAs: integer },
    availability_zone_hints: { post: true, put: false, default: [], visible: true },
    availability_zones: { post: false, put: false, visible: true },
    ipv4_address_scope: { post: false, put: false, visible: true },
    ipv6_address_scope: { post: false, put: false, visible: true },
    ...standardAttrs,
  },
};

export function networkView(n: Network): Record<string, unknown> {
  return {
    id: n.id,
    name: n.name,
    ...projectView(n.project_id),
    admin_state_up: n.admin_state_up,
    mtu: n.mtu,
    status: 'ACTIVE',
    subnets: n.subnets,
    shared: n.shared,
    port_security_enabled: n.port_security_enabled,
    'router:external': n.external,
    ...PROVIDER_UNCHANGEABLE,
    'provider:segmentation_id': n.segmentation_id,
    availability_zone_hints: [],
    availability_zones: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    ...standardView(n),
  };
}
