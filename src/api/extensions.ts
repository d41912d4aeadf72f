/**
 * The API extensions portsec implements, described as Neutron 21 describes
 * them. Only what is really served is advertised: clients (OSC) change their
 * behaviour on these aliases.
 */
const UPDATED = '2013-07-23T10:00:00-00:00';

const EXTENSIONS: [alias: string, name: string, description: string, updated?: string][] = [
  ['allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs'],
  ['binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'],
  ['external-net', 'Neutron external network', 'Adds external network attribute to network resource.'],
  ['filter-validation', 'Filter parameters validation', 'Provides validation on filter parameters.'],
  ['ip-substring-filtering', 'IP address substring filtering', 'Provides IP address substring filtering when listing ports'],
  ['net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'],
  ['net-mtu-writable', 'Network MTU (writable)', 'Provides a writable MTU attribute for a network resource.'],
  ['pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.'],
  ['port-security', 'Port Security', 'Provides port security'],
  ['project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'],
  ['provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'],
  ['revision-if-match', 'If-Match constraints based on revision_number', 'Extension indicating that If-Match based on revision_number is supported.'],
  ['security-group', 'security-group', 'The security groups extension.'],
  ['security-groups-normalized-cidr', 'Normalized CIDR field for security group rules', 'Add new field with normalized remote_ip_prefix cidr in SG rule'],
  ['sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.'],
  ['standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes'],
  ['standard-attr-revisions', 'Resource revision numbers', 'This extension will display the revision number of neutron resources.'],
  ['standard-attr-timestamp', 'Resource timestamps', 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.'],
  ['stateful-security-group', 'Stateful security group', 'Indicates if the security group is stateful or not'],
  ['standard-attr-tag', 'Tag support for resources with standard attribute: port, subnet, subnetpool, network, security_group, router, floatingip, policy, trunk, network_segment_range', 'Enables to set tag on resources with standard attribute.'],
  ['tag-ports-during-bulk-creation', 'Tag Ports During Bulk Creation', 'Allow to tag ports during bulk creation'],
  ['rbac-policies', 'RBAC Policies', 'Allows creation and modification of policies that control tenant access to resources.'],
  ['rbac-security-groups', 'Add security_group type to network RBAC', 'Add security_group type to network RBAC'],
  ['quotas', 'Quota management support', 'Expose functions for quotas management per project', '2012-07-29T10:00:00-00:00'],
  ['quota_details', 'Quota details management support', 'Expose functions for quotas usage statistics per project', '2017-02-10T10:00:00-00:00'],
  ['address-group', 'Address group', 'Support address group', '2020-07-15T10:00:00-00:00'],
  ['security-groups-remote-address-group', 'Remote address group id field for security group rules',
    'Add new field of remote address group id in SG rules', '2020-08-25T10:00:00-00:00'],
  ['quota-check-limit', 'Quota engine limit check', 'Support for checking the resource usage before applying a new quota limit', '2021-09-08T16:00:00-00:00'],
];

export interface Extension {
  name: string;
  alias: string;
  description: string;
  updated: string;
  links: never[];
}

export const extensions: Extension[] = EXTENSIONS.map(([alias, name, description, updated = UPDATED]) => ({
  name, alias, description, updated, links: [],
}));
