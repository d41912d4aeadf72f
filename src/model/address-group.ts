/**
 * The address-group resource (neutron-lib's address_group API definition):
 * schema, address normalisation, and its two views. Neutron 21 keeps standard
 * attributes for address groups but shows them only in the answers of
 * add_addresses/remove_addresses, which the API layer does not filter.
 */
import { formatNetwork, parseCidr } from './addresses.js';
import { idAttr, nameAttr, projectAttrs, projectView, standardAttrs, type StandardAttrs } from './common.js';
import { errors } from './errors.js';
import { check, pyRepr, type ResourceSpec, string } from './schema.js';

export interface AddressGroup extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
  /** normalised (`network/prefixlen`), in the order they were added */
  addresses: string[];
}

/** `"%s/%s" % (addr.network, addr.prefixlen)`: what Neutron stores for an address. */
export function normaliseAddress(text: string): string | undefined {
  const c = parseCidr(text, true);
  return c && formatNetwork(c);
}

/** neutron-lib validate_subnet: a CIDR with its slash (a bare address is refused, its /32 or /128 recommended). */
function subnetReason(v: unknown): string | undefined {
  const c = typeof v === 'string' ? parseCidr(v, true) : undefined;
  if (!c) return `'${pyRepr(v)}' is not a valid IP subnet`;
  if (!(v as string).includes('/')) return `'${pyRepr(v)}' isn't a recognized IP subnet cidr, '${formatNetwork(c)}' is recommended`;
  return undefined;
}

/** validate_subnet_list after convert_none_to_empty_list: a list, no duplicates as written, each a subnet. */
const subnetList = check((v) => {
  if (v === null) return undefined;
  if (!Array.isArray(v)) return `'${pyRepr(v)}' is not a list`;
  const dups = v.filter((x, i) => v.indexOf(x) !== i);
  if (dups.length) return `Duplicate items in the list: '${[...new Set(dups)].map(pyRepr).join(', ')}'`;
  for (const x of v) {
    const reason = subnetReason(x);
    if (reason) return reason;
  }
  return undefined;
}, (v) => (v ?? []) as string[]);

export const addressGroupSpec: ResourceSpec = {
  name: 'address_group',
  collection: 'address_groups',
  attrs: {
    id: idAttr,
    name: nameAttr,
    // LONG_DESCRIPTION_FIELD_SIZE, not the standard attribute's 255
    description: { ...standardAttrs.description, input: string(1024) },
    ...projectAttrs,
    addresses: { post: true, put: false, input: subnetList, visible: true },
    shared: { post: false, put: false },
  },
  alwaysShown: ['tenant_id'],
};

/**
 * The addresses of an add_addresses/remove_addresses body, normalised and
 * without repeats. The body is read as the plugin reads it (`addresses['addresses']`,
 * no validation): no such key is Neutron's KeyError (a 500), and what netaddr
 * cannot read is its AddrFormatError.
 */
export function requestedAddresses(body: unknown): string[] {
  const list = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>).addresses : undefined;
  if (list === undefined) throw errors.internal();
  // Python iterates a text by character; anything else not a list is a TypeError (a 500)
  if (typeof list !== 'string' && !Array.isArray(list)) throw errors.internal();
  const items: unknown[] = typeof list === 'string' ? [...list] : list;
  const out: string[] = [];
  for (const item of items) {
    const a = typeof item === 'string' ? normaliseAddress(item) : undefined;
    if (a === undefined) throw errors.addrFormat(pyRepr(item));
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

export function addressGroupView(g: AddressGroup): Record<string, unknown> {
  const { tenant_id } = projectView(g.project_id);
  return { id: g.id, name: g.name, project_id: g.project_id, addresses: g.addresses, description: g.description, tenant_id };
}

/** The plugin's own dict, as the member actions answer it (shared and the standard attributes included). */
export function addressGroupActionView(g: AddressGroup): Record<string, unknown> {
  return {
    id: g.id, name: g.name, project_id: g.project_id, shared: false, addresses: g.addresses, revision_number: g.revision_number,
    description: g.description, created_at: g.created_at, updated_at: g.updated_at, tenant_id: g.project_id,
  };
}
