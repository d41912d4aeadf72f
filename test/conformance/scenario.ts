/**
 * The conformance scenario: what portsec must answer as Neutron 21 (Zed, ML2 with
 * port_security) does, call by call. Three callers (an admin, projects proj-a and
 * proj-b; see session.ts) walk through networks and subnets, security groups and
 * their rules, ports with allowed-address pairs and port security, isolation between
 * the projects, the policy's 403s, If-Match, fields/filters/sorting/pagination,
 * deletes and their cascades, quotas and each project's default group, then the
 * edges of port filters and of pages, then a group shared through RBAC (rbac.ts).
 *
 * Which calls are made never depends on how a server answered; only the values it
 * picked (ids, port2's address, revision numbers, page links) go into later calls. A
 * server that answers differently still gets the same calls, so transcripts compare
 * call by call; steps are unique, so a difference can be named by its step.
 */
import { type Json } from './normalise.js';
import { rbacSharing } from './rbac.js';
import { MISSING, type Options, Session, type Transcript, type Who } from './session.js';

const V = '/v2.0';
/** Ids nobody has: Neutron's answers for them are 404s (or 400s where the id is checked first). */
const NOBODY = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export async function runScenario(url: string, server: string): Promise<Transcript> {
  const s = new Session(url);
  await basics(s);
  await networksAndSubnets(s);
  await securityGroups(s);
  await rules(s);
  await ports(s);
  await addressPairs(s);
  await portSecurity(s);
  await revisions(s);
  await queries(s);
  await pagination(s);
  await sharedNetwork(s);
  await deletes(s);
  await quotas(s);
  await filtersAndPages(s);
  await rbacSharing(s);
  await quotaLimits(s);
  return s.transcript(server);
}

const create = (s: Session, step: string, collection: string, resource: string, body: Record<string, Json>, who: Who = 'a') =>
  s.call(step, 'POST', `${V}/${collection}`, { body: { [resource]: body }, who });

async function saveCreate(s: Session, name: string, step: string, collection: string, resource: string, body: Record<string, Json>, who: Who = 'a') {
  const r = await create(s, step, collection, resource, body, who);
  if (r.status === 201) s.save(name, r.body[resource].id);
  return r;
}

/** Every port made is named (after its call when the scenario needs no name): what the server chose for it varies. */
async function createPort(s: Session, name: string | undefined, step: string, port: Record<string, any>, who: Who = 'a') {
  const r = await create(s, step, 'ports', 'port', port, who);
  if (r.status === 201) s.savePort(name ?? `port@${s.calls}`, r.body.port, port);
  return r;
}

const updatePort = (s: Session, step: string, name: string, port: Json, o: Options = {}) =>
  s.call(step, 'PUT', `${V}/ports/${s.id(name)}`, { ...o, body: { port } });

async function basics(s: Session) {
  await s.call('the versions document needs no identity', 'GET', '/', { who: 'anon' });
  await s.call('the API without X-User-Id: 401', 'GET', `${V}/networks`, { who: 'anon' });
  await s.call('extensions', 'GET', `${V}/extensions`, { who: 'admin' });
  await s.call('one extension', 'GET', `${V}/extensions/port-security`, { who: 'admin' });
  await s.call('an extension that is not loaded', 'GET', `${V}/extensions/no-such-extension`, { who: 'admin' });
}

async function networksAndSubnets(s: Session) {
  // an admin listing another project's groups makes that project's default group
  await s.call('admin lists proj-b\'s groups before proj-b did anything', 'GET', `${V}/security-groups?project_id=proj-b`, { who: 'admin' });
  await s.call('proj-b lists its own groups: the same default group', 'GET', `${V}/security-groups?fields=id&fields=name&fields=project_id`, { who: 'b' });
  await saveCreate(s, 'net1', 'create net1 (makes proj-a\'s default group)', 'networks', 'network', { name: 'net1' });
  await s.call('admin sees proj-a\'s default group', 'GET', `${V}/security-groups?project_id=proj-a&fields=name&fields=project_id&fields=description`, { who: 'admin' });
  await s.call('show net1', 'GET', `${V}/networks/${s.id('net1')}`);
  await s.call('update net1\'s description', 'PUT', `${V}/networks/${s.id('net1')}`, { body: { network: { description: 'first network' } } });
  await create(s, 'network with an unknown attribute', 'networks', 'network', { name: 'x', colour: 'blue' });
  await create(s, 'network with admin_state_up not a boolean', 'networks', 'network', { name: 'x', admin_state_up: 'maybe' });
  await s.call('network body without "network"', 'POST', `${V}/networks`, { body: { name: 'x' } });
  await s.call('proj-b shows proj-a\'s network: 404', 'GET', `${V}/networks/${s.id('net1')}`, { who: 'b' });
  await s.call('proj-b updates proj-a\'s network: 404', 'PUT', `${V}/networks/${s.id('net1')}`, { who: 'b', body: { network: { name: 'mine' } } });
  await s.call('proj-b deletes proj-a\'s network: 404', 'DELETE', `${V}/networks/${s.id('net1')}`, { who: 'b' });

  const net1 = s.id('net1');
  await create(s, 'subnet with a /33', 'subnets', 'subnet', { network_id: net1, cidr: '10.1.1.0/33', ip_version: 4 });
  await create(s, 'subnet with ip_version 5', 'subnets', 'subnet', { network_id: net1, cidr: '10.1.1.0/24', ip_version: 5 });
  await create(s, 'subnet: an IPv6 CIDR as ip_version 4', 'subnets', 'subnet', { network_id: net1, cidr: 'fd00:9::/64', ip_version: 4 });
  await create(s, 'subnet: allocation pool outside the CIDR', 'subnets', 'subnet',
    { network_id: net1, cidr: '10.1.1.0/24', ip_version: 4, allocation_pools: [{ start: '10.1.2.10', end: '10.1.2.20' }] });
  await saveCreate(s, 'net.hostbits', 'create a network for a host-bits subnet', 'networks', 'network', { name: 'hostbits' });
  await saveCreate(s, 'sub.hostbits', 'subnet with host bits set (10.9.0.5/24)', 'subnets', 'subnet', { network_id: s.id('net.hostbits'), cidr: '10.9.0.5/24', ip_version: 4 });
  await s.call('delete the host-bits subnet', 'DELETE', `${V}/subnets/${s.id('sub.hostbits')}`);
  await s.call('delete its network', 'DELETE', `${V}/networks/${s.id('net.hostbits')}`);
  // pools keep the addresses Neutron picks at random away from the scenario's literal ones
  await saveCreate(s, 'sub1', 'create sub1 10.1.1.0/24, pool .100-.199', 'subnets', 'subnet',
    { network_id: net1, name: 'sub1', cidr: '10.1.1.0/24', ip_version: 4, allocation_pools: [{ start: '10.1.1.100', end: '10.1.1.199' }] });
  await create(s, 'subnet overlapping sub1', 'subnets', 'subnet', { network_id: net1, cidr: '10.1.1.64/26', ip_version: 4 });
  await saveCreate(s, 'sub6', 'create sub6 fd00:1::/64', 'subnets', 'subnet', { network_id: net1, name: 'sub6', cidr: 'fd00:1::/64', ip_version: 6 });
  await create(s, 'proj-b: subnet on proj-a\'s network', 'subnets', 'subnet', { network_id: net1, cidr: '10.5.0.0/24', ip_version: 4 }, 'b');
  await s.call('subnets of net1, sorted by name', 'GET', `${V}/subnets?network_id=${net1}&sort_key=name&sort_dir=asc&fields=name&fields=cidr&fields=allocation_pools&fields=gateway_ip`);
  await s.call('net1 lists its subnets', 'GET', `${V}/networks/${net1}?fields=subnets&fields=revision_number`);
}

async function securityGroups(s: Session) {
  await s.call('proj-a lists its groups', 'GET', `${V}/security-groups`);
  const groups = (await s.call('proj-a finds its default group by name', 'GET', `${V}/security-groups?name=default&fields=id`)).body;
  s.save('sg.default', groups?.security_groups?.[0]?.id);
  await saveCreate(s, 'sg.ssh', 'create group ssh', 'security-groups', 'security_group', { name: 'ssh', description: 'ssh in' });
  await saveCreate(s, 'sg.web', 'create group web', 'security-groups', 'security_group', { name: 'web' });
  await saveCreate(s, 'sg.ssh2', 'a second group named ssh', 'security-groups', 'security_group', { name: 'ssh' });
  await s.call('groups named ssh, sorted by description (not a sort key)', 'GET', `${V}/security-groups?name=ssh&fields=id&fields=description&sort_key=description&sort_dir=asc`);
  await s.call('groups named ssh', 'GET', `${V}/security-groups?name=ssh&fields=description`);
  await s.call('delete the second ssh', 'DELETE', `${V}/security-groups/${s.id('sg.ssh2')}`);
  await create(s, 'a group named default', 'security-groups', 'security_group', { name: 'default' });
  await saveCreate(s, 'sg.stateless', 'a stateless group', 'security-groups', 'security_group', { name: 'stateless', stateful: false });
  await create(s, 'a group with an unknown attribute', 'security-groups', 'security_group', { name: 'x', colour: 'blue' });
  await s.call('rename ssh\'s description', 'PUT', `${V}/security-groups/${s.id('sg.ssh')}`, { body: { security_group: { description: 'ssh from anywhere' } } });
  const dflt = `${V}/security-groups/${s.id('sg.default')}`;
  await s.call('show the default group', 'GET', dflt);
  await s.call('rename the default group', 'PUT', dflt, { body: { security_group: { name: 'not-default' } } });
  await s.call('describe the default group', 'PUT', dflt, { body: { security_group: { description: 'still default' } } });
  await s.call('delete the default group', 'DELETE', dflt);
  await s.call('show a group nobody has', 'GET', `${V}/security-groups/${NOBODY(1)}`);
  await s.call('proj-b shows proj-a\'s group: 404', 'GET', `${V}/security-groups/${s.id('sg.ssh')}`, { who: 'b' });
  await s.call('proj-b deletes proj-a\'s group: 404', 'DELETE', `${V}/security-groups/${s.id('sg.ssh')}`, { who: 'b' });
  await saveCreate(s, 'sg.b', 'proj-b creates group b-app', 'security-groups', 'security_group', { name: 'b-app' }, 'b');
}

async function rules(s: Session) {
  const ssh = s.id('sg.ssh');
  const web = s.id('sg.web');
  const ingress = (extra: Record<string, Json>) => ({ security_group_id: ssh, direction: 'ingress', ethertype: 'IPv4', ...extra });
  const rule = async (step: string, body: Record<string, Json>, name?: string, who: Who = 'a') => {
    const r = await create(s, step, 'security-group-rules', 'security_group_rule', body, who);
    if (r.status === 201 && name) s.save(name, r.body.security_group_rule.id);
  };
  await rule('ssh: tcp 22 from anywhere', ingress({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' }), 'rule.ssh22');
  await rule('web: tcp 80 from members of ssh', { security_group_id: web, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ssh }, 'rule.web80');
  await rule('web: udp from its own members', { security_group_id: web, direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', remote_group_id: web });
  await rule('both a remote prefix and a remote group', ingress({ protocol: 'tcp', remote_ip_prefix: '10.0.0.0/8', remote_group_id: web }));
  await rule('the same rule twice', ingress({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' }));
  await rule('the same rule, protocol as number 6', ingress({ protocol: '6', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' }));
  await rule('the same rule without its 0.0.0.0/0', ingress({ protocol: 'tcp', port_range_min: 22, port_range_max: 22 }));
  await rule('the same as a default egress rule', { security_group_id: ssh, direction: 'egress', ethertype: 'IPv6' });
  await rule('the same remote-group rule twice', { security_group_id: web, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ssh });
  await rule('protocol "bogus"', ingress({ protocol: 'bogus' }));
  await rule('protocol 256', ingress({ protocol: '256' }));
  await rule('protocol "any"', ingress({ protocol: 'any', remote_ip_prefix: '198.51.100.0/24' }));
  await rule('protocol 112 (vrrp) as a number', ingress({ protocol: '112', remote_ip_prefix: '198.51.100.0/24' }), 'rule.vrrp');
  await rule('protocol "UDP" in capitals', ingress({ protocol: 'UDP', port_range_min: 53, port_range_max: 53 }));
  await rule('protocol sctp with ports', ingress({ protocol: 'sctp', port_range_min: 3868, port_range_max: 3869 }));
  await rule('min above max', ingress({ protocol: 'tcp', port_range_min: 2000, port_range_max: 1000 }));
  await rule('port 0', ingress({ protocol: 'tcp', port_range_min: 0, port_range_max: 0 }));
  await rule('port 65536', ingress({ protocol: 'udp', port_range_min: 1, port_range_max: 65536 }));
  await rule('only a minimum port', ingress({ protocol: 'tcp', port_range_min: 8000 }));
  await rule('only a maximum port', ingress({ protocol: 'tcp', port_range_max: 8000 }));
  await rule('ports without a protocol', ingress({ port_range_min: 443, port_range_max: 443 }));
  await rule('ports as strings', ingress({ protocol: 'tcp', port_range_min: '8443', port_range_max: '8443' }), 'rule.strports');
  await rule('icmp echo (type 8 code 0)', ingress({ protocol: 'icmp', port_range_min: 8, port_range_max: 0 }));
  await rule('icmp type 11 alone', ingress({ protocol: 'icmp', port_range_min: 11 }), 'rule.icmp11');
  await rule('icmp code without a type', ingress({ protocol: 'icmp', port_range_max: 1 }));
  await rule('icmp type 300', ingress({ protocol: 'icmp', port_range_min: 300 }));
  await rule('icmp code 300', ingress({ protocol: 'icmp', port_range_min: 3, port_range_max: 300 }));
  await rule('icmp on IPv6', ingress({ ethertype: 'IPv6', protocol: 'icmp', remote_ip_prefix: '2001:db8::/32' }));
  await rule('ipv6-icmp on IPv4', ingress({ protocol: 'ipv6-icmp' }));
  await rule('IPv6 rule, IPv4 prefix', ingress({ ethertype: 'IPv6', protocol: 'tcp', remote_ip_prefix: '192.0.2.0/24' }));
  await rule('IPv4 rule, IPv6 prefix', ingress({ protocol: 'tcp', remote_ip_prefix: 'fd00::/8' }));
  await rule('IPv6 tcp 22 from ::/0', ingress({ ethertype: 'IPv6', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '::/0' }));
  await rule('prefix with host bits 172.16.5.9/16', ingress({ protocol: 'tcp', port_range_min: 25, port_range_max: 25, remote_ip_prefix: '172.16.5.9/16' }));
  await rule('the same rule with 172.16.0.0/16', ingress({ protocol: 'tcp', port_range_min: 25, port_range_max: 25, remote_ip_prefix: '172.16.0.0/16' }));
  await rule('a bare address as prefix', ingress({ protocol: 'tcp', port_range_min: 26, port_range_max: 26, remote_ip_prefix: '203.0.113.7' }));
  await rule('an IPv6 bare address as prefix', ingress({ ethertype: 'IPv6', protocol: 'tcp', port_range_min: 26, port_range_max: 26, remote_ip_prefix: '2001:db8::7' }));
  await rule('a prefix that is no address', ingress({ remote_ip_prefix: '10.0.0.256/8' }));
  await rule('direction "in"', ingress({ direction: 'in' }));
  await rule('ethertype "IPv7"', ingress({ ethertype: 'IPv7' }));
  await rule('ethertype "ipv6" in lower case', ingress({ ethertype: 'ipv6', protocol: 'tcp', port_range_min: 27, port_range_max: 27 }));
  await rule('no direction', { security_group_id: ssh, ethertype: 'IPv4' });
  await rule('no ethertype', { security_group_id: ssh, direction: 'ingress', protocol: 'tcp', port_range_min: 28, port_range_max: 28 });
  await rule('no security_group_id', { direction: 'ingress', ethertype: 'IPv4' });
  await rule('a group nobody has', { security_group_id: NOBODY(2), direction: 'ingress', ethertype: 'IPv4' });
  await rule('a remote group nobody has', ingress({ remote_group_id: NOBODY(3) }));
  await rule('a remote group that is no uuid', ingress({ remote_group_id: 'web' }));
  await rule('an unknown attribute', ingress({ priority: 1 }));
  await rule('a description', ingress({ protocol: 'tcp', port_range_min: 29, port_range_max: 29, description: 'smtp-ish' }));
  await rule('default group: tcp 443 from web', { security_group_id: s.id('sg.default'), direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_group_id: web });
  await rule('stateless group: egress udp', { security_group_id: s.id('sg.stateless'), direction: 'egress', ethertype: 'IPv4', protocol: 'udp' });
  await rule('proj-b: its group, remote group of proj-a', { security_group_id: s.id('sg.b'), direction: 'ingress', ethertype: 'IPv4', remote_group_id: ssh }, undefined, 'b');
  await rule('proj-b: into proj-a\'s group', ingress({ protocol: 'tcp', port_range_min: 30, port_range_max: 30 }), undefined, 'b');
  await rule('admin: into proj-a\'s group', ingress({ protocol: 'tcp', port_range_min: 31, port_range_max: 31 }), 'rule.admin', 'admin');

  const web80 = `${V}/security-group-rules/${s.id('rule.web80')}`;
  await s.call('show a remote-group rule', 'GET', web80);
  await s.call('update a rule\'s description', 'PUT', web80, { body: { security_group_rule: { description: 'from ssh' } } });
  await s.call('ssh\'s IPv4 tcp ingress rules by port and prefix', 'GET', `${V}/security-group-rules?security_group_id=${ssh}&direction=ingress&protocol=tcp&ethertype=IPv4&sort_key=port_range_min&sort_dir=asc&sort_key=remote_ip_prefix&sort_dir=desc&fields=id&fields=protocol&fields=port_range_min&fields=port_range_max&fields=remote_ip_prefix&fields=normalized_cidr&fields=ethertype`);
  await s.call('rules whose remote group is ssh', 'GET', `${V}/security-group-rules?remote_group_id=${ssh}&fields=id&fields=security_group_id`);
  await s.call('rules, unknown filter', 'GET', `${V}/security-group-rules?colour=blue`);
  await s.call('proj-b shows proj-a\'s rule: 404', 'GET', `${V}/security-group-rules/${s.id('rule.ssh22')}`, { who: 'b' });
  await s.call('proj-b deletes proj-a\'s rule: 404', 'DELETE', `${V}/security-group-rules/${s.id('rule.ssh22')}`, { who: 'b' });
  const icmp = `${V}/security-group-rules/${s.id('rule.icmp11')}`;
  await s.call('delete the icmp 11 rule', 'DELETE', icmp);
  await s.call('delete it again', 'DELETE', icmp);
  await s.call('show it', 'GET', icmp);
  await s.call('show ssh with its rules', 'GET', `${V}/security-groups/${ssh}`);
  await s.call('show web', 'GET', `${V}/security-groups/${web}`);
  await s.call('proj-b lists rules: only its own', 'GET', `${V}/security-group-rules?fields=id&fields=security_group_id&fields=remote_group_id`, { who: 'b' });
}

async function ports(s: Session) {
  const net1 = s.id('net1');
  await createPort(s, 'port1', 'port1 with 10.1.1.10', { network_id: net1, name: 'port1', fixed_ips: [{ subnet_id: s.id('sub1'), ip_address: '10.1.1.10' }] });
  await createPort(s, 'port2', 'port2: addresses chosen, MAC given, groups ssh and web',
    { network_id: net1, name: 'port2', mac_address: 'fa:16:3e:12:34:56', security_groups: [s.id('sg.ssh'), s.id('sg.web')] });
  await createPort(s, undefined, 'a port on 10.1.1.10 again', { network_id: net1, fixed_ips: [{ ip_address: '10.1.1.10' }] });
  await createPort(s, undefined, 'a port on an address outside its subnet', { network_id: net1, fixed_ips: [{ subnet_id: s.id('sub1'), ip_address: '10.1.2.10' }] });
  await createPort(s, undefined, 'a port on a subnet nobody has', { network_id: net1, fixed_ips: [{ subnet_id: NOBODY(4) }] });
  await createPort(s, undefined, 'a port with port2\'s MAC', { network_id: net1, mac_address: 'fa:16:3e:12:34:56' });
  await createPort(s, undefined, 'a port with MAC "fa:16"', { network_id: net1, mac_address: 'fa:16' });
  await createPort(s, 'port.mcast', 'a port with a multicast MAC', { network_id: net1, mac_address: '01:00:5e:00:00:01' });
  await createPort(s, undefined, 'a port without network_id', { name: 'lost' });
  await createPort(s, undefined, 'a port on a network nobody has', { network_id: NOBODY(5) });
  await createPort(s, undefined, 'a port with a group nobody has', { network_id: net1, security_groups: [NOBODY(6)] });
  await createPort(s, undefined, 'a port with a group that is no uuid', { network_id: net1, security_groups: ['ssh'] });
  await createPort(s, undefined, 'proj-b: a port on proj-a\'s network', { network_id: net1 }, 'b');
  await createPort(s, undefined, 'proj-b: a port on net1 with proj-a\'s group', { network_id: net1, security_groups: [s.id('sg.ssh')] }, 'b');
  await s.call('show port1', 'GET', `${V}/ports/${s.id('port1')}`);
  await s.call('show port2', 'GET', `${V}/ports/${s.id('port2')}`);
}

async function addressPairs(s: Session) {
  const pairs = (step: string, value: Json) => updatePort(s, `pairs: ${step}`, 'port1', { allowed_address_pairs: value });
  await pairs('one address (the port\'s MAC filled in)', [{ ip_address: '10.1.1.20' }]);
  await pairs('a CIDR and an address in it', [{ ip_address: '10.1.1.16/28' }, { ip_address: '10.1.1.20' }]);
  await pairs('a CIDR with host bits', [{ ip_address: '10.1.1.21/28' }]);
  await pairs('everything IPv4', [{ ip_address: '0.0.0.0/0' }]);
  await pairs('everything IPv6 and an IPv6 address', [{ ip_address: '::/0' }, { ip_address: 'fd00:1::abcd:20' }]);
  await pairs('an address on no subnet', [{ ip_address: '198.51.100.20' }]);
  await pairs('the port\'s own address', [{ ip_address: '10.1.1.10' }]);
  const mac1 = (await s.call('port1\'s MAC', 'GET', `${V}/ports/${s.id('port1')}?fields=mac_address`)).body?.port?.mac_address ?? 'fa:16:3e:ff:ff:ff';
  const port2 = (await s.call('port2\'s addresses', 'GET', `${V}/ports/${s.id('port2')}?fields=fixed_ips`)).body;
  const port2v4 = port2?.port?.fixed_ips?.find((f: { ip_address: string }) => !f.ip_address.includes(':'))?.ip_address ?? '10.1.1.99';
  await pairs('another port\'s address and the whole subnet', [{ ip_address: port2v4 }, { ip_address: '10.1.1.0/24' }]);
  await pairs('address 10.1.1.256', [{ ip_address: '10.1.1.256' }]);
  await pairs('address "gateway"', [{ ip_address: 'gateway' }]);
  await pairs('CIDR 10.1.1.0/33', [{ ip_address: '10.1.1.0/33' }]);
  await pairs('IPv6 CIDR fd00::/129', [{ ip_address: 'fd00::/129' }]);
  await pairs('no ip_address', [{ mac_address: 'fa:16:3e:00:00:21' }]);
  await pairs('an empty ip_address', [{ ip_address: '' }]);
  await pairs('the same pair twice', [{ ip_address: '10.1.1.20' }, { ip_address: '10.1.1.20' }]);
  await pairs('the same pair with and without the port\'s MAC', [{ ip_address: '10.1.1.20' }, { ip_address: '10.1.1.20', mac_address: mac1 }]);
  await pairs('one address, two MACs', [{ ip_address: '10.1.1.20', mac_address: 'fa:16:3e:00:00:31' }, { ip_address: '10.1.1.20', mac_address: 'fa:16:3e:00:00:32' }]);
  await pairs('a MAC of its own', [{ ip_address: '10.1.1.21', mac_address: 'fa:16:3e:00:00:33' }]);
  await pairs('a MAC in capitals', [{ ip_address: '10.1.1.21', mac_address: 'FA:16:3E:00:00:34' }]);
  await pairs('a MAC with dashes', [{ ip_address: '10.1.1.21', mac_address: 'fa-16-3e-00-00-35' }]);
  await pairs('an unknown key', [{ ip_address: '10.1.1.21', weight: 1 }]);
  await pairs('a pair that is a string', ['10.1.1.21']);
  await pairs('a pair that is a number', [7]);
  await pairs('one pair not in a list', { ip_address: '10.1.1.21' });
  await pairs('11 pairs', Array.from({ length: 11 }, (_, i) => ({ ip_address: `10.1.3.${i + 1}` })));
  await pairs('10 pairs', Array.from({ length: 10 }, (_, i) => ({ ip_address: `10.1.3.${i + 1}` })));
  await pairs('null', null);
  await s.call('port1\'s pairs after null', 'GET', `${V}/ports/${s.id('port1')}?fields=allowed_address_pairs&fields=revision_number`);
  await pairs('one again', [{ ip_address: '10.1.1.22' }]);
  await pairs('[] clears them', []);
  await createPort(s, 'port3', 'port3 with pairs from the start',
    { network_id: s.id('net1'), name: 'port3', allowed_address_pairs: [{ ip_address: '10.1.1.64/26' }, { ip_address: '10.1.1.23', mac_address: 'fa:16:3e:00:00:36' }] });
  // on port3, which nothing else updates: Neutron takes this MAC, and a revision more or less on port1 would differ all along
  await updatePort(s, 'pairs: MAC "fa:16:3e"', 'port3', { allowed_address_pairs: [{ ip_address: '10.1.1.21', mac_address: 'fa:16:3e' }] });
  await createPort(s, undefined, 'a port with 11 pairs', { network_id: s.id('net1'), allowed_address_pairs: Array.from({ length: 11 }, (_, i) => ({ ip_address: `10.1.4.${i + 1}` })) });
  await s.call('proj-b updates proj-a\'s port pairs: 404', 'PUT', `${V}/ports/${s.id('port1')}`, { who: 'b', body: { port: { allowed_address_pairs: [] } } });
}

async function portSecurity(s: Session) {
  const net1 = s.id('net1');
  await createPort(s, undefined, 'port security off, with pairs', { network_id: net1, port_security_enabled: false, allowed_address_pairs: [{ ip_address: '10.1.1.24' }] });
  await createPort(s, undefined, 'port security off, with a group', { network_id: net1, port_security_enabled: false, security_groups: [s.id('sg.ssh')] });
  await createPort(s, 'port5', 'port5: port security off, no groups, no pairs',
    { network_id: net1, name: 'port5', port_security_enabled: false, security_groups: [], allowed_address_pairs: [] });
  await createPort(s, 'port4', 'port4: port security off, nothing else said', { network_id: net1, name: 'port4', port_security_enabled: false });
  await updatePort(s, 'port4 (off): give it pairs', 'port4', { allowed_address_pairs: [{ ip_address: '10.1.1.24' }] });
  await updatePort(s, 'port4 (off): give it ssh', 'port4', { security_groups: [s.id('sg.ssh')] });
  await updatePort(s, 'port4: on, with ssh and a pair at once', 'port4', { port_security_enabled: true, security_groups: [s.id('sg.ssh')], allowed_address_pairs: [{ ip_address: '10.1.1.24' }] });
  await updatePort(s, 'port4: off while it has both', 'port4', { port_security_enabled: false });
  await updatePort(s, 'port4: off, groups cleared, pair kept', 'port4', { port_security_enabled: false, security_groups: [] });
  await updatePort(s, 'port4: off, pairs cleared, group kept', 'port4', { port_security_enabled: false, allowed_address_pairs: [] });
  await updatePort(s, 'port4: off, both cleared', 'port4', { port_security_enabled: false, security_groups: [], allowed_address_pairs: [] });
  await updatePort(s, 'port4: port_security_enabled "yes"', 'port4', { port_security_enabled: 'yes' });
  await updatePort(s, 'port1: off while its default group is on it', 'port1', { port_security_enabled: false });
  await updatePort(s, 'port1: groups ssh and web', 'port1', { security_groups: [s.id('sg.ssh'), s.id('sg.web')] });
  await updatePort(s, 'port1: ssh twice', 'port1', { security_groups: [s.id('sg.ssh'), s.id('sg.ssh')] });
  await updatePort(s, 'port1: a group nobody has', 'port1', { security_groups: [NOBODY(7)] });
  await updatePort(s, 'port1: proj-b\'s group', 'port1', { security_groups: [s.id('sg.b')] });
  await updatePort(s, 'port1: security_groups a string', 'port1', { security_groups: s.id('sg.ssh') });
  await updatePort(s, 'port1: no groups, port security on', 'port1', { security_groups: [] });
  await updatePort(s, 'port1: security_groups null', 'port1', { security_groups: null });
  await updatePort(s, 'port1: web only', 'port1', { security_groups: [s.id('sg.web')] });
  await updatePort(s, 'port1: move to 10.1.1.11', 'port1', { fixed_ips: [{ subnet_id: s.id('sub1'), ip_address: '10.1.1.11' }] });
  await updatePort(s, 'port1: status is read-only', 'port1', { status: 'ACTIVE' });
  await updatePort(s, 'port1: network_id is read-only', 'port1', { network_id: NOBODY(8) });
  await updatePort(s, 'port1: mac_address (member)', 'port1', { mac_address: 'fa:16:3e:00:00:40' });
  await s.call('delete web while port1 and port2 use it', 'DELETE', `${V}/security-groups/${s.id('sg.web')}`);
  await s.call('delete ssh while port2 uses it', 'DELETE', `${V}/security-groups/${s.id('sg.ssh')}`);
  await saveCreate(s, 'net.nosec', 'a network with port security off', 'networks', 'network', { name: 'nosec', port_security_enabled: false });
  await saveCreate(s, 'sub.nosec', 'its subnet', 'subnets', 'subnet', { network_id: s.id('net.nosec'), cidr: '10.3.0.0/24', ip_version: 4, allocation_pools: [{ start: '10.3.0.100', end: '10.3.0.199' }] });
  await createPort(s, 'port.nosec', 'a port there takes the network\'s setting', { network_id: s.id('net.nosec'), name: 'nosec' });
  await createPort(s, undefined, 'a port there with a group', { network_id: s.id('net.nosec'), security_groups: [s.id('sg.ssh')] });
  await createPort(s, 'port.nosec.on', 'a port there with port security on', { network_id: s.id('net.nosec'), name: 'nosec-on', port_security_enabled: true });
}

async function revisions(s: Session) {
  const port1 = `${V}/ports/${s.id('port1')}`;
  const rev = (await s.call('port1\'s revision', 'GET', `${port1}?fields=revision_number`)).body?.port?.revision_number ?? 0;
  const rename = (step: string, name: string, ifMatch?: string) => updatePort(s, step, 'port1', { name }, ifMatch === undefined ? {} : { headers: { 'If-Match': ifMatch } });
  await rename('If-Match one behind', 'stale', `revision_number=${rev - 1}`);
  await rename('If-Match current', 'first', `revision_number=${rev}`);
  await rename('If-Match ahead', 'ahead', `revision_number=${rev + 5}`);
  await rename('If-Match not a revision', 'odd', 'W/"abc"');
  await rename('the same name again', 'odd');
  await updatePort(s, 'an empty update', 'port1', {});
  await s.call('a body without "port"', 'PUT', port1, { body: { name: 'x' } });
  await s.call('port1\'s revision now', 'GET', `${port1}?fields=revision_number`);
  const ssh = `${V}/security-groups/${s.id('sg.ssh')}`;
  const srev = (await s.call('ssh\'s revision', 'GET', `${ssh}?fields=revision_number`)).body?.security_group?.revision_number ?? 0;
  await create(s, 'a rule into ssh', 'security-group-rules', 'security_group_rule', { security_group_id: s.id('sg.ssh'), direction: 'egress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 123, port_range_max: 123 });
  await s.call('ssh\'s revision after a rule', 'GET', `${ssh}?fields=revision_number`);
  await s.call('rename ssh with a stale If-Match', 'PUT', ssh, { body: { security_group: { description: 'stale' } }, headers: { 'If-Match': `revision_number=${srev}` } });
  await s.call('network update with a stale If-Match', 'PUT', `${V}/networks/${s.id('net1')}`, { body: { network: { description: 'stale' } }, headers: { 'If-Match': 'revision_number=1' } });
  await s.call('delete a rule with an If-Match (rules have revision 0)', 'DELETE', `${V}/security-group-rules/${s.id('rule.vrrp')}`, { headers: { 'If-Match': 'revision_number=3' } });
  await s.call('delete a rule with If-Match 0', 'DELETE', `${V}/security-group-rules/${s.id('rule.strports')}`, { headers: { 'If-Match': 'revision_number=0' } });
}

async function queries(s: Session) {
  const P = `${V}/ports`;
  await s.call('ports: id, name and pairs, sorted by name', 'GET', `${P}?fields=id&fields=name&fields=allowed_address_pairs&sort_key=name&sort_dir=asc`);
  await s.call('port1: security_groups only', 'GET', `${P}/${s.id('port1')}?fields=security_groups`);
  await s.call('port1: an unknown field', 'GET', `${P}/${s.id('port1')}?fields=colour`);
  await s.call('port1: fields=id and an empty field', 'GET', `${P}/${s.id('port1')}?fields=id&fields=`);
  await s.call('ports on net1 named port2', 'GET', `${P}?network_id=${s.id('net1')}&name=port2&fields=id`);
  await s.call('ports in group ssh', 'GET', `${P}?security_groups=${s.id('sg.ssh')}&fields=id&fields=security_groups`);
  await s.call('ports on 10.1.1.11', 'GET', `${P}?fixed_ips=ip_address%3D10.1.1.11&fields=id&fields=fixed_ips`);
  await s.call('ports on sub1', 'GET', `${P}?fixed_ips=subnet_id%3D${s.id('sub1')}&fields=name&sort_key=name&sort_dir=desc`);
  await s.call('ports whose address contains 10.1.1.1', 'GET', `${P}?fixed_ips=ip_address_substr%3D10.1.1.1&fields=id`);
  await s.call('ports by port_security_enabled', 'GET', `${P}?port_security_enabled=false&fields=id`);
  await s.call('ports, unknown filter', 'GET', `${P}?colour=blue`);
  await s.call('ports that are DOWN', 'GET', `${P}?status=DOWN&fields=name&fields=status&sort_key=name&sort_dir=asc`);
  await s.call('ports named port1 or port2', 'GET', `${P}?name=port1&name=port2&fields=name`);
  await s.call('ports with mac port2\'s', 'GET', `${P}?mac_address=fa:16:3e:12:34:56&fields=name`);
  await s.call('groups named ssh: ids and names', 'GET', `${V}/security-groups?name=ssh&fields=id&fields=name`);
  await s.call('networks with port security off', 'GET', `${V}/networks?port_security_enabled=false&fields=name`);
  await s.call('networks sorted by name desc', 'GET', `${V}/networks?sort_key=name&sort_dir=desc&fields=name&fields=shared`);
  await s.call('subnets, IPv6 only', 'GET', `${V}/subnets?ip_version=6&fields=name&fields=ip_version`);
  await s.call('proj-b lists ports: only its own', 'GET', P, { who: 'b' });
  await s.call('proj-b lists networks', 'GET', `${V}/networks?fields=name`, { who: 'b' });
  await s.call('proj-b shows port1: 404', 'GET', `${P}/${s.id('port1')}`, { who: 'b' });
  await s.call('proj-b renames port1: 404', 'PUT', `${P}/${s.id('port1')}`, { who: 'b', body: { port: { name: 'mine' } } });
  await s.call('proj-b deletes port1: 404', 'DELETE', `${P}/${s.id('port1')}`, { who: 'b' });
  await s.call('proj-b filters by proj-a', 'GET', `${P}?project_id=proj-a&fields=id`, { who: 'b' });
  await s.call('admin: proj-a\'s ports by name, descending', 'GET', `${P}?project_id=proj-a&fields=name&fields=project_id&sort_key=name&sort_dir=desc`, { who: 'admin' });
  await s.call('admin: port2 in full (binding attributes)', 'GET', `${P}/${s.id('port2')}`, { who: 'admin' });
}

async function pagination(s: Session) {
  for (const n of ['pa', 'pb', 'pc']) await saveCreate(s, `net.${n}`, `create network ${n}`, 'networks', 'network', { name: n });
  const q = 'sort_key=name&sort_dir=asc&fields=id&fields=name';
  const first = await s.call('networks, 2 a page, by name', 'GET', `${V}/networks?limit=2&${q}`);
  const links: { rel: string; href: string }[] = first.body?.networks_links ?? [];
  const next = links.find((l) => l.rel === 'next')?.href;
  const path = (href: string | undefined) => (href ? href.slice(href.indexOf('/v2.0')) : `${V}/networks?limit=2&${q}&marker=${MISSING}`);
  const second = await s.call('follow next', 'GET', path(next));
  const prev = (second.body?.networks_links ?? []).find((l: { rel: string }) => l.rel === 'previous')?.href;
  await s.call('follow previous', 'GET', path(prev));
  await s.call('one after pa', 'GET', `${V}/networks?limit=1&marker=${s.id('net.pa')}&${q}`);
  await s.call('backwards from pc', 'GET', `${V}/networks?limit=2&marker=${s.id('net.pc')}&page_reverse=True&${q}`);
  await s.call('a marker nobody has', 'GET', `${V}/networks?limit=2&marker=${NOBODY(9)}&${q}`);
  await s.call('limit 0', 'GET', `${V}/networks?limit=0&sort_key=name&sort_dir=asc&fields=name`);
  await s.call('limit -1', 'GET', `${V}/networks?limit=-1`);
  await s.call('limit "two"', 'GET', `${V}/networks?limit=two`);
  await s.call('sort_key without sort_dir', 'GET', `${V}/networks?sort_key=name&fields=name`);
  await s.call('sort by an unknown key', 'GET', `${V}/networks?sort_key=colour&sort_dir=asc`);
  await s.call('sort direction "up"', 'GET', `${V}/networks?sort_key=name&sort_dir=up`);
}

async function sharedNetwork(s: Session) {
  await saveCreate(s, 'net.shared', 'admin: a shared network', 'networks', 'network', { name: 'shared', shared: true }, 'admin');
  await saveCreate(s, 'sub.shared', 'admin: its subnet', 'subnets', 'subnet',
    { network_id: s.id('net.shared'), cidr: '10.2.0.0/24', ip_version: 4, allocation_pools: [{ start: '10.2.0.100', end: '10.2.0.199' }] }, 'admin');
  await s.call('proj-b sees the shared network', 'GET', `${V}/networks/${s.id('net.shared')}`, { who: 'b' });
  await createPort(s, 'bport', 'proj-b: a port on it (proj-b\'s default group)', { network_id: s.id('net.shared'), name: 'bport' }, 'b');
  const bport = 'bport';
  await updatePort(s, 'proj-b (not the network\'s owner): pairs on its port', bport, { allowed_address_pairs: [{ ip_address: '10.2.0.50' }] }, { who: 'b' });
  await updatePort(s, 'proj-b: port security off', bport, { port_security_enabled: false, security_groups: [] }, { who: 'b' });
  await updatePort(s, 'proj-b: a fixed IP on its port', bport, { fixed_ips: [{ ip_address: '10.2.0.51' }] }, { who: 'b' });
  await updatePort(s, 'proj-b: its own group on its port', bport, { security_groups: [s.id('sg.b')] }, { who: 'b' });
  await updatePort(s, 'proj-b: device_owner network:dhcp', bport, { device_owner: 'network:dhcp' }, { who: 'b' });
  await updatePort(s, 'proj-b: rename its port', bport, { name: 'bport-renamed' }, { who: 'b' });
  await createPort(s, undefined, 'proj-b: a port there with a fixed IP', { network_id: s.id('net.shared'), fixed_ips: [{ ip_address: '10.2.0.52' }] }, 'b');
  await createPort(s, undefined, 'proj-b: a port there with pairs', { network_id: s.id('net.shared'), allowed_address_pairs: [{ ip_address: '10.2.0.53' }] }, 'b');
  await createPort(s, undefined, 'proj-b: a port there with proj-a\'s group', { network_id: s.id('net.shared'), security_groups: [s.id('sg.ssh')] }, 'b');
  await createPort(s, undefined, 'proj-b: a port there without port security', { network_id: s.id('net.shared'), port_security_enabled: false }, 'b');
  await updatePort(s, 'admin: pairs on proj-b\'s port', bport, { allowed_address_pairs: [{ ip_address: '10.2.0.50' }] }, { who: 'admin' });
  await s.call('proj-b: rename the shared network', 'PUT', `${V}/networks/${s.id('net.shared')}`, { who: 'b', body: { network: { name: 'mine' } } });
  await s.call('proj-b: delete the shared network', 'DELETE', `${V}/networks/${s.id('net.shared')}`, { who: 'b' });
  await create(s, 'proj-a: a shared network (member)', 'networks', 'network', { name: 'share-me', shared: true });
}

async function deletes(s: Session) {
  await s.call('delete port2', 'DELETE', `${V}/ports/${s.id('port2')}`);
  await s.call('delete port2 again', 'DELETE', `${V}/ports/${s.id('port2')}`);
  await s.call('delete web while port1 still uses it', 'DELETE', `${V}/security-groups/${s.id('sg.web')}`);
  await s.call('delete port1', 'DELETE', `${V}/ports/${s.id('port1')}`);
  await s.call('delete ssh: web\'s rule from ssh goes with it', 'DELETE', `${V}/security-groups/${s.id('sg.ssh')}`);
  await s.call('rules whose remote group was ssh', 'GET', `${V}/security-group-rules?remote_group_id=${s.id('sg.ssh')}`);
  await s.call('proj-b\'s rule naming ssh is gone too', 'GET', `${V}/security-groups/${s.id('sg.b')}`, { who: 'b' });
  await s.call('show web after ssh went', 'GET', `${V}/security-groups/${s.id('sg.web')}`);
  await s.call('delete web', 'DELETE', `${V}/security-groups/${s.id('sg.web')}`);
  await s.call('delete a group nobody has', 'DELETE', `${V}/security-groups/${NOBODY(11)}`);
  for (const p of ['port3', 'port4', 'port5', 'port.mcast']) await s.call(`delete ${p}`, 'DELETE', `${V}/ports/${s.id(p)}`);
  await s.call('net1 has no ports: delete sub6', 'DELETE', `${V}/subnets/${s.id('sub6')}`);
  await createPort(s, 'port6', 'port6 on net1', { network_id: s.id('net1'), name: 'port6' });
  await s.call('delete sub1 while port6 is on it', 'DELETE', `${V}/subnets/${s.id('sub1')}`);
  await s.call('delete net1 while port6 is on it', 'DELETE', `${V}/networks/${s.id('net1')}`);
  await s.call('delete port6', 'DELETE', `${V}/ports/${s.id('port6')}`);
  await s.call('delete net1 (its subnet goes with it)', 'DELETE', `${V}/networks/${s.id('net1')}`);
  await s.call('sub1 is gone', 'GET', `${V}/subnets/${s.id('sub1')}`);
  await s.call('delete net1 again', 'DELETE', `${V}/networks/${s.id('net1')}`);
  await s.call('proj-a\'s groups at the end', 'GET', `${V}/security-groups?fields=name&fields=revision_number&sort_key=name&sort_dir=asc`);
}

async function quotas(s: Session) {
  await s.call('admin: proj-a\'s quotas', 'GET', `${V}/quotas/proj-a`, { who: 'admin' });
  await s.call('proj-a: its own quotas', 'GET', `${V}/quotas/proj-a`);
  await s.call('proj-b: proj-a\'s quotas', 'GET', `${V}/quotas/proj-a`, { who: 'b' });
  await s.call('admin: proj-a\'s quota usage', 'GET', `${V}/quotas/proj-a/details`, { who: 'admin' });
}

/**
 * Port filters and pages at their edges: fixed_ips values (key=value; several of a
 * key; unknown keys; malformed ones; LIKE's wildcards in ip_address_substr; a subnet
 * and an address each on any of a port's addresses) and markers (off the filtered
 * rows, nobody's, without a limit, going back). Last, on objects of its own, so that
 * it changes no earlier call's answer or names.
 */
async function filtersAndPages(s: Session) {
  await saveCreate(s, 'net.f', 'create network filters', 'networks', 'network', { name: 'filters' });
  const net = s.id('net.f');
  for (const n of [7, 8]) {
    await saveCreate(s, `sub.f${n}`, `filters: subnet 10.${n}.0.0/24`, 'subnets', 'subnet',
      { network_id: net, name: `f${n}`, cidr: `10.${n}.0.0/24`, ip_version: 4, allocation_pools: [{ start: `10.${n}.0.100`, end: `10.${n}.0.199` }] });
  }
  const on = (...ips: string[]) => ips.map((ip) => ({ subnet_id: s.id(`sub.f${ip.split('.')[1]}`), ip_address: ip }));
  await createPort(s, 'f1', 'filters: port f1 on 10.7.0.5', { network_id: net, name: 'f1', fixed_ips: on('10.7.0.5') });
  await createPort(s, 'f2', 'filters: port f2 on 10.7.0.15', { network_id: net, name: 'f2', fixed_ips: on('10.7.0.15') });
  await createPort(s, 'f3', 'filters: port f3 on 10.7.0.25 and 10.8.0.25', { network_id: net, name: 'f3', fixed_ips: on('10.7.0.25', '10.8.0.25') });
  await createPort(s, 'f4', 'filters: port f4 on 10.7.0.105', { network_id: net, name: 'f4', fixed_ips: on('10.7.0.105') });

  const ports = (step: string, query: string) => s.call(step, 'GET', `${V}/ports?network_id=${net}&fields=name${query}`);
  const fixed = (...values: string[]) => values.map((v) => `&fixed_ips=${encodeURIComponent(v)}`).join('');
  await ports('fixed_ips: two addresses (a port on either)', fixed('ip_address=10.7.0.5', 'ip_address=10.7.0.15'));
  await ports('fixed_ips: an unknown key (ignored)', fixed('colour=red'));
  await ports('fixed_ips: an unknown key and an address', fixed('colour=red', 'ip_address=10.7.0.5'));
  await ports('fixed_ips: an address without a key', fixed('10.7.0.5'));
  await ports('fixed_ips: an empty key', fixed('=10.7.0.5'));
  await ports('fixed_ips with no value', '&fixed_ips');
  await ports('fixed_ips=True (a bare flag: no filter)', '&fixed_ips=True');
  await ports('fixed_ips: an empty address', fixed('ip_address='));
  await ports('ip_address_substr: "_" is any one character', fixed('ip_address_substr=10.7.0._5'));
  await ports('ip_address_substr: "%" is any text', fixed('ip_address_substr=10.7.0.%5'));
  await ports('ip_address_substr: inside an address', fixed('ip_address_substr=7.0.1'));
  await ports('ip_address_substr: two (a port with either)', fixed('ip_address_substr=10.7.0.5', 'ip_address_substr=10.8'));
  await ports('fixed_ips: a subnet and an address on another of the port\'s subnets', fixed(`subnet_id=${s.id('sub.f7')}`, 'ip_address=10.8.0.25'));
  await ports('fixed_ips: a subnet and an address no port has there', fixed(`subnet_id=${s.id('sub.f8')}`, 'ip_address=10.7.0.5'));
  await ports('fixed_ips: a subnet and an address in one value', fixed(`subnet_id=${s.id('sub.f7')},ip_address=10.7.0.25`));

  const byName = (dir: string) => `&sort_key=name&sort_dir=${dir}`;
  const after = (marker: string, limit?: number, reverse = false) =>
    `${limit === undefined ? '' : `&limit=${limit}`}&marker=${marker}${reverse ? '&page_reverse=True' : ''}`;
  await ports('ports f1 and f3, one a page, after f2 (not one of them)', `&name=f1&name=f3${byName('asc')}${after(s.id('f2'), 1)}`);
  await ports('ports f1 and f3, one a page, before f2', `&name=f1&name=f3${byName('asc')}${after(s.id('f2'), 1, true)}`);
  await ports('ports on 10.8.0.0/24 by name descending, after f4 (not on it)', `${fixed(`subnet_id=${s.id('sub.f8')}`)}${byName('desc')}${after(s.id('f4'), 1)}`);
  await ports('ports on 10.8.0.0/24 by name descending, after f2: an empty page', `${fixed(`subnet_id=${s.id('sub.f8')}`)}${byName('desc')}${after(s.id('f2'), 1)}`);
  await ports('ports after proj-b\'s port: 404', `${byName('asc')}${after(s.id('bport'), 1)}`);
  await ports('ports before a port nobody has: 404', `${byName('asc')}${after(NOBODY(12), 2, true)}`);
  await ports('ports after a port nobody has, without a limit (not read)', `${byName('asc')}${after(NOBODY(12))}`);
  await ports('ports after f2 without a limit (not read)', `${byName('asc')}${after(s.id('f2'))}`);
  await ports('ports by name going back, without a limit', `${byName('asc')}&page_reverse=True`);
  await ports('ports by name going back from f3, without a limit', `${byName('asc')}${after(s.id('f3'), undefined, true)}`);
  await ports('ports by name, 5 a page, before f3 (a short page back)', `${byName('asc')}${after(s.id('f3'), 5, true)}`);
  await ports('ports by name, 5 a page, after f4: an empty page', `${byName('asc')}${after(s.id('f4'), 5)}`);
  await ports('ports by name, 5 a page, before f1: an empty page back', `${byName('asc')}${after(s.id('f1'), 5, true)}`);
  await s.call('networks before a network nobody has: 404', 'GET', `${V}/networks?sort_key=name&sort_dir=asc&fields=name${after(NOBODY(13), 1, true)}`);

  for (const g of ['pg1', 'pg2', 'pg3']) await saveCreate(s, `sg.${g}`, `filters: group ${g}`, 'security-groups', 'security_group', { name: g });
  const groups = (step: string, query: string, names = ['pg1', 'pg2', 'pg3']) =>
    s.call(step, 'GET', `${V}/security-groups?${names.map((n) => `name=${n}`).join('&')}${byName('asc')}&fields=name${query}`);
  await groups('groups, 2 a page, before a group nobody has: the last page', after(NOBODY(14), 2, true));
  await groups('groups, 2 a page, before proj-b\'s group: the last page', after(s.id('sg.b'), 2, true));
  await groups('groups, 5 a page, before a group nobody has: all, a short page back', after(NOBODY(14), 5, true));
  await groups('groups, 2 a page, after a group nobody has: the first page', after(NOBODY(14), 2));
  await groups('groups pg1 and pg3, one a page, after pg2 (not one of them)', after(s.id('sg.pg2'), 1), ['pg1', 'pg3']);
  await groups('groups after pg2 without a limit (not read)', after(s.id('sg.pg2')));
  await groups('groups going back from pg2, without a limit', after(s.id('sg.pg2'), undefined, true));
  await s.call('subnets of filters, one a page, before a subnet nobody has: the last page', 'GET',
    `${V}/subnets?network_id=${net}&sort_key=cidr&sort_dir=asc&fields=cidr${after(NOBODY(15), 1, true)}`);
  await s.call('pg1\'s rules, one a page, before a rule nobody has: the last page', 'GET',
    `${V}/security-group-rules?security_group_id=${s.id('sg.pg1')}&sort_key=ethertype&sort_dir=asc&fields=ethertype&fields=direction${after(NOBODY(16), 1, true)}`);
}

/** Quota limits set, enforced and reset (last: a create refused here changes no earlier answer). */
async function quotaLimits(s: Session) {
  const usage = await s.call('admin: proj-b\'s quota usage', 'GET', `${V}/quotas/proj-b/details`, { who: 'admin' });
  await s.call('admin: proj-b\'s networks limited to those it has', 'PUT', `${V}/quotas/proj-b`,
    { who: 'admin', body: { quota: { network: usage.body.quota.network.used } } });
  await create(s, 'proj-b: a network over its quota', 'networks', 'network', { name: 'over' }, 'b');
  await s.call('proj-b: its own quotas, limited', 'GET', `${V}/quotas/proj-b`, { who: 'b' });
  await s.call('proj-b: raises its own quota', 'PUT', `${V}/quotas/proj-b`, { who: 'b', body: { quota: { network: -1 } } });
  await s.call('admin: the projects with limits of their own', 'GET', `${V}/quotas`, { who: 'admin' });
  await s.call('admin: proj-b\'s rules limited under their use, checked', 'PUT', `${V}/quotas/proj-b`,
    { who: 'admin', body: { quota: { security_group_rule: 1, check_limit: true } } });
  await s.call('admin: proj-b\'s rules limited under their use', 'PUT', `${V}/quotas/proj-b`, { who: 'admin', body: { quota: { security_group_rule: 1 } } });
  await create(s, 'proj-b: a group, whose own rules are over the rule quota', 'security-groups', 'security_group', { name: 'over' }, 'b');
  await s.call('admin: proj-b back to the defaults', 'DELETE', `${V}/quotas/proj-b`, { who: 'admin' });
  await s.call('admin: proj-b back to the defaults again', 'DELETE', `${V}/quotas/proj-b`, { who: 'admin' });
  await create(s, 'proj-b: a network within the defaults', 'networks', 'network', { name: 'within' }, 'b');
}
