/**
 * Neutron's error vocabulary. Each Neutron exception is declared exactly once
 * here with its HTTP status, its `NeutronError.type` and its message template,
 * so every layer raises the same error the same way.
 */
export class NeutronError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly detail = '',
  ) {
    super(message);
  }

  toJSON(): { NeutronError: { type: string; message: string; detail: string } } {
    return { NeutronError: { type: this.type, message: this.message, detail: this.detail } };
  }
}

type Factory<A extends unknown[]> = (...args: A) => NeutronError;

function def<A extends unknown[]>(status: number, type: string, message: (...args: A) => string): Factory<A> {
  return (...args: A) => new NeutronError(status, type, message(...args));
}

const q = (s: string) => `'${s}'`;
/** Python's repr of a list of texts */
const pyStrList = (xs: string[]) => `[${xs.map(q).join(', ')}]`;

/** webob's class for each client error status, the type Neutron's envelope names */
const WEBOB: Record<number, string> = {
  400: 'HTTPBadRequest', 403: 'HTTPForbidden', 404: 'HTTPNotFound', 405: 'HTTPMethodNotAllowed', 406: 'HTTPNotAcceptable',
  408: 'HTTPRequestTimeout', 411: 'HTTPLengthRequired', 413: 'HTTPRequestEntityTooLarge', 414: 'HTTPRequestURITooLong', 415: 'HTTPUnsupportedMediaType',
};

export const errors = {
  // generic webob errors, raised with a message
  badRequest: def(400, 'HTTPBadRequest', (msg: string) => msg),
  /** a client error the HTTP layer raised (a body over the limit, say) */
  http: (status: number, msg: string) => new NeutronError(status, WEBOB[status] ?? 'HTTPClientError', msg),
  notFound: def(404, 'HTTPNotFound', (msg?: string) => msg ?? 'The resource could not be found.'),
  methodNotAllowed: def(405, 'HTTPMethodNotAllowed', () => 'The server could not comply with the request since it is either malformed or otherwise incorrect.'),
  internal: def(500, 'HTTPInternalServerError', () => 'Request Failed: internal server error while processing your request.'),
  badLimit: def(400, 'BadRequest', (msg: string) => `Bad limit request: ${msg}.`),
  invalidInput: def(400, 'InvalidInput', (msg: string) => `Invalid input for operation: ${msg}.`),
  policy: def(403, 'PolicyNotAuthorized', (rule: string) => `${rule} is disallowed by policy`),
  revisionConflict: def(412, 'RevisionNumberConstraintFailed', (expected: number, current: number) =>
    `Constrained to ${expected}, but current revision is ${current}`),

  networkNotFound: def(404, 'NetworkNotFound', (id: string) => `Network ${id} could not be found.`),
  subnetNotFound: def(404, 'SubnetNotFound', (id: string) => `Subnet ${id} could not be found.`),
  portNotFound: def(404, 'PortNotFound', (id: string) => `Port ${id} could not be found.`),
  sgNotFound: def(404, 'SecurityGroupNotFound', (id: string) => `Security group ${id} does not exist`),
  ruleNotFound: def(404, 'SecurityGroupRuleNotFound', (id: string) => `Security group rule ${id} does not exist`),
  extensionNotFound: def(404, 'HTTPNotFound', (alias: string) => `Extension with alias ${alias} does not exist`),

  networkInUse: def(409, 'NetworkInUse', (id: string, ports: string[]) =>
    `Unable to complete operation on network ${id}. There are one or more ports still in use on the network, id for these ports is: ${ports.join(',')}.`),
  subnetInUse: def(409, 'SubnetInUse', (id: string) =>
    `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`),
  invalidIpForSubnet: def(400, 'InvalidIpForSubnet', (ip: string) => `IP address ${ip} is not a valid IP for the specified subnet.`),
  invalidIpForNetwork: def(400, 'InvalidIpForNetwork', (ip: string) =>
    `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`),
  ipAllocated: def(409, 'IpAddressAlreadyAllocated', (ip: string, subnet: string) =>
    `IP address ${ip} already allocated in subnet ${subnet}`),
  ipExhausted: def(409, 'IpAddressGenerationFailure', (net: string) => `No more IP addresses available on network ${net}.`),
  macInUse: def(409, 'MacAddressInUse', (net: string, mac: string) =>
    `Unable to complete operation for network ${net}. The mac address ${mac} is in use.`),
  invalidAllocationPool: def(400, 'InvalidAllocationPool', (pool: string) => `The allocation pool ${pool} is not valid.`),
  poolOutOfBounds: def(400, 'OutOfBoundsAllocationPool', (pool: string, cidr: string) =>
    `The allocation pool ${pool} spans beyond the subnet cidr ${cidr}.`),
  poolsOverlap: def(409, 'OverlappingAllocationPools', (a: string, b: string, cidr: string) =>
    `Found overlapping allocation pools: ${a} ${b} for subnet ${cidr}.`),
  gatewayInPool: def(409, 'GatewayConflictWithAllocationPools', (ip: string, pool: string) =>
    `Gateway ip ${ip} conflicts with allocation pool ${pool}.`),

  aapMissingIp: def(400, 'AllowedAddressPairsMissingIP', () => 'AllowedAddressPair must contain ip_address'),
  aapDuplicate: def(400, 'DuplicateAddressPairInRequest', (mac: string | null, ip: string) =>
    `Request contains duplicate address pair: mac_address ${mac ?? 'None'} ip_address ${ip}.`),
  aapExhausted: def(400, 'AllowedAddressPairExhausted', (max: number) =>
    `The number of allowed address pair exceeds the maximum ${max}.`),
  aapNeedsPortSecurity: def(409, 'AddressPairAndPortSecurityRequired', () =>
    'Port Security must be enabled in order to have allowed address pairs on a port.'),
  sgNeedsPortSecurity: def(400, 'PortSecurityAndIPRequiredForSecurityGroups', () =>
    'Port security must be enabled and port must have an IP address in order to use security groups.'),
  portHasSg: def(409, 'PortSecurityPortHasSecurityGroup', () =>
    'Port has security group associated. Cannot disable port security or IP address until security group is removed.'),

  /** portsec's guard (not Neutron's): the write would widen remote-group rules through a wide pair */
  widePairInRemoteGroup: def(409, 'WidePairInRemoteGroup', (what: string) =>
    `${what}. Refused by portsec's guard wide-pair-in-remote-group=reject: give the port a security group of its own that no rule names as remote group.`),
  sgDefaultExists: def(409, 'SecurityGroupDefaultAlreadyExists', () => 'Default security group already exists.'),
  sgCannotUpdateDefault: def(409, 'SecurityGroupCannotUpdateDefault', () => 'Updating default security group not allowed.'),
  sgCannotRemoveDefault: def(409, 'SecurityGroupCannotRemoveDefault', () => 'Insufficient rights for removing default security group.'),
  sgInUse: def(409, 'SecurityGroupInUse', (id: string) => `Security Group ${id} in use.`),
  sgConflict: def(409, 'SecurityGroupConflict', () =>
    'Error Cannot apply both stateful and stateless security groups on the same port at the same time. while applying security group(s) on port.'),
  ruleExists: def(409, 'SecurityGroupRuleExists', (id: string) => `Security group rule already exists. Rule id is ${id}.`),
  ruleInvalidProtocol: def(400, 'SecurityGroupRuleInvalidProtocol', (protocol: string, names: string[]) =>
    `Security group rule protocol ${protocol} not supported. Only protocol values [None, ${names.map(q).join(', ')}] and integer representations [0 to 255] are supported.`),
  ruleInvalidEthertype: def(400, 'SecurityGroupRuleInvalidEtherType', (ethertype: string) =>
    `Security group rule for ethertype '${ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].`),
  rulePortRange: def(400, 'SecurityGroupInvalidPortRange', () =>
    'For TCP/UDP protocols, port_range_min must be <= port_range_max'),
  rulePortValue: def(400, 'SecurityGroupInvalidPortValue', (port: unknown) => `Invalid value for port ${String(port)}`),
  ruleProtocolRequired: def(400, 'SecurityGroupProtocolRequiredWithPorts', () =>
    'Must also specify protocol if port range is given.'),
  ruleInvalidProtocolForPort: def(400, 'SecurityGroupInvalidProtocolForPort', (protocol: string) =>
    `Invalid protocol ${protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.`),
  ruleIcmpValue: def(400, 'SecurityGroupInvalidIcmpValue', (field: string, attr: string, value: unknown) =>
    `Invalid value for ICMP ${field} (${attr}) ${String(value)}. It must be 0 to 255.`),
  ruleIcmpMissingType: def(400, 'SecurityGroupMissingIcmpType', (code: unknown) =>
    `ICMP code (port-range-max) ${String(code)} is provided but ICMP type (port-range-min) is missing.`),
  ruleEthertypeProtocol: def(400, 'SecurityGroupEthertypeConflictWithProtocol', (ethertype: string, protocol: string) =>
    `Invalid ethertype ${ethertype} for protocol ${protocol}.`),
  ruleParameterConflict: def(400, 'SecurityGroupRuleParameterConflict', (ethertype: string, cidr: string) =>
    `Conflicting value ethertype ${ethertype} for CIDR ${cidr}`),
  ruleMultipleRemotes: def(400, 'SecurityGroupMultipleRemoteEntites', () =>
    'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.'),
  invalidCidr: def(400, 'InvalidCIDR', (input: string) => `Invalid CIDR ${input} given as IP prefix.`),
  tagNotFound: def(404, 'TagNotFound', (tag: string) => `Tag ${tag} could not be found.`),
  tagResourceNotFound: def(404, 'TagResourceNotFound', (resource: string, id: string) => `Resource ${resource} ${id} could not be found.`),

  addressGroupNotFound: def(404, 'AddressGroupNotFound', (id: string) => `Address group ${id} could not be found.`),
  addressGroupInUse: def(409, 'AddressGroupInUse', (id: string) => `Address group ${id} is in use on one or more security group rules.`),
  addressesNotFound: def(404, 'AddressesNotFound', (addresses: string[], id: string) =>
    `Addresses ${pyStrList(addresses)} not found in the address group ${id}.`),
  addressesAlreadyExist: def(400, 'AddressesAlreadyExist', (addresses: string[], id: string) =>
    `Addresses ${pyStrList(addresses)} already exist in the address group ${id}.`),
  /** netaddr's AddrFormatError, which Neutron's fault map answers as a 400 under its own name */
  addrFormat: def(400, 'AddrFormatError', (text: string) => `invalid IPNetwork ${text}`),
  rbacNotFound: def(404, 'RbacPolicyNotFound', (objectType: string, id: string) => `RBAC policy of type ${objectType} with ID ${id} not found`),
  rbacInUse: def(409, 'RbacPolicyInUse', (objectId: string, details: string) =>
    `RBAC policy on object ${objectId} cannot be removed because other objects depend on it.\nDetails: ${details}`),
  rbacDuplicate: def(409, 'DuplicateRbacPolicy', () => 'An RBAC policy already exists with those values.'),
  rbacInvalidAction: def(400, 'InvalidActionForType', (action: string, objectType: string, valid: readonly string[]) =>
    `Invalid action '${action}' for object type '${objectType}'. Valid actions: (${valid.map(q).join(', ')}${valid.length === 1 ? ',' : ''})`),

  overQuota: def(409, 'OverQuota', (overs: string[]) => `Quota exceeded for resources: [${overs.map(q).join(', ')}].`),
  quotaNotFound: def(404, 'TenantQuotaNotFound', (project: string) => `Quota for tenant ${project} could not be found.`),
  quotaBelowUsage: def(400, 'HTTPBadRequest', (limit: number, resource: string, used: number) =>
    `Quota limit ${limit} for ${resource} must be greater than or equal to already used ${used}`),
  adminRequired: def(403, 'AdminRequired', (reason: string) => `User does not have admin privileges: ${reason}.`),
  notImplemented: def(501, 'HTTPNotImplemented', (msg: string) => msg),
  badIfMatch: def(400, 'BadRequest', (msg: string) => `Bad if-match request: ${msg}.`),

};
