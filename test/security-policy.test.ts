/**
 * Security, holes 1 and 2: who may make a port trusted or unfiltered, and who may
 * change another project's port. The same requests go to a real neutron-server
 * (Zed's policy) and to portsec; every status and error type must agree.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type NeutronServer, startNeutronServer } from './support/neutron-server.js';
import { api, as, type RunningServer, startServer } from './support/server.js';

let portsec: RunningServer;
let neutron: NeutronServer;
beforeAll(async () => {
  [portsec, neutron] = await Promise.all([startServer(['--auth', 'trusted-headers']), startNeutronServer()]);
}, 180_000);
afterAll(async () => {
  await Promise.all([portsec?.stop(), neutron?.stop()]);
});

const ADMIN = as('admin-project', 'admin');
const OWNER = as('proj-owner');
const TENANT = as('proj-tenant');

type Ids = Record<string, string>;
interface Step {
  name: string;
  who: Record<string, string>;
  method: string;
  path: (ids: Ids) => string;
  body?: (ids: Ids) => unknown;
  /** remembers the created object's id under this name */
  save?: string;
}

const port = (body: Record<string, unknown>) => (ids: Ids) => ({ port: { network_id: ids.net, ...body } });
const put = (body: Record<string, unknown>) => () => ({ port: body });
const at = (name: string) => (ids: Ids) => `/v2.0/ports/${ids[name]}`;

/** The shared network belongs to OWNER (an admin created it for her); TENANT only uses it. */
const STEPS: Step[] = [
  { name: 'admin: shared network owned by proj-owner', who: ADMIN, method: 'POST', path: () => '/v2.0/networks', body: () => ({ network: { name: 'shared', shared: true, project_id: 'proj-owner' } }), save: 'net' },
  { name: 'owner: subnet', who: OWNER, method: 'POST', path: () => '/v2.0/subnets', body: (ids) => ({ subnet: { network_id: ids.net, ip_version: 4, cidr: '10.5.0.0/24' } }), save: 'sub' },
  { name: 'tenant: group of its own', who: TENANT, method: 'POST', path: () => '/v2.0/security-groups', body: () => ({ security_group: { name: 'web' } }), save: 'sg' },
  { name: 'tenant: plain port', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ name: 'vm' }), save: 'tport' },
  // hole 1: a network:* owner makes the port trusted (no anti-spoofing, no groups)
  ...['network:dhcp', 'network:router_interface', 'network:floatingip', 'network:'].map((owner): Step => ({
    name: `tenant: create port with device_owner ${owner}`, who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ device_owner: owner }),
  })),
  { name: 'tenant: create port with device_owner compute:nova', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ device_owner: 'compute:nova' }), save: 'tport2' },
  { name: 'tenant: create port with device_owner neutron:LOADBALANCERV2', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ device_owner: 'neutron:LOADBALANCERV2' }) },
  { name: 'tenant: update own port to device_owner network:dhcp', who: TENANT, method: 'PUT', path: at('tport'), body: put({ device_owner: 'network:dhcp' }) },
  { name: 'tenant: update own port to device_owner network:router_gateway with a name', who: TENANT, method: 'PUT', path: at('tport'), body: put({ device_owner: 'network:router_gateway', name: 'x' }) },
  { name: 'tenant: update own port to device_owner compute:nova', who: TENANT, method: 'PUT', path: at('tport'), body: put({ device_owner: 'compute:nova' }) },
  { name: 'tenant: create port with every policed attribute', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: (ids) => ({ port: {
    network_id: ids.net, 'binding:vnic_type': 'direct', allowed_address_pairs: [{ ip_address: '10.5.0.9' }, { mac_address: 'fa:16:3e:00:00:09', ip_address: '10.5.0.8' }],
    port_security_enabled: true, 'binding:profile': { a: 1 }, 'binding:host_id': 'cn1', fixed_ips: [{ ip_address: '10.5.0.60', subnet_id: ids.sub }],
    mac_address: 'fa:16:3e:11:22:38', device_owner: 'network:dhcp' } }) },
  { name: 'owner: update tenant port with every policed attribute', who: OWNER, method: 'PUT', path: at('tport'), body: (ids) => ({ port: {
    'binding:vnic_type': 'direct', allowed_address_pairs: [{ ip_address: '10.5.0.9' }], port_security_enabled: true, 'binding:host_id': 'cn1',
    fixed_ips: [{ subnet_id: ids.sub }], mac_address: 'fa:16:3e:11:22:39', device_owner: 'network:dhcp', name: 'n' } }) },
  // the other owner-only attributes, on create and on update
  { name: 'tenant: create port with mac_address', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ mac_address: 'fa:16:3e:11:22:33' }) },
  { name: 'tenant: create port with port_security_enabled false', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ port_security_enabled: false }) },
  { name: 'tenant: create port with port_security_enabled true', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ port_security_enabled: true }) },
  { name: 'tenant: create port with a pair', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] }) },
  { name: 'tenant: create port with a fixed ip address', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: (ids) => ({ port: { network_id: ids.net, fixed_ips: [{ subnet_id: ids.sub, ip_address: '10.5.0.50' }] } }) },
  { name: 'tenant: create port with a fixed ip subnet', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: (ids) => ({ port: { network_id: ids.net, fixed_ips: [{ subnet_id: ids.sub }] } }) },
  { name: 'tenant: create port with binding:host_id', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ 'binding:host_id': 'cn1' }) },
  { name: 'tenant: create port with binding:profile', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ 'binding:profile': { a: 1 } }) },
  { name: 'tenant: create port with binding:vnic_type direct', who: TENANT, method: 'POST', path: () => '/v2.0/ports', body: port({ 'binding:vnic_type': 'direct' }) },
  { name: 'tenant: update own port mac_address', who: TENANT, method: 'PUT', path: at('tport'), body: put({ mac_address: 'fa:16:3e:11:22:34' }) },
  { name: 'tenant: update own port pairs', who: TENANT, method: 'PUT', path: at('tport'), body: put({ allowed_address_pairs: [{ ip_address: '10.5.0.2' }] }) },
  { name: 'tenant: update own port port_security_enabled', who: TENANT, method: 'PUT', path: at('tport'), body: put({ port_security_enabled: false }) },
  { name: 'tenant: update own port fixed ip address', who: TENANT, method: 'PUT', path: at('tport'), body: (ids) => ({ port: { fixed_ips: [{ subnet_id: ids.sub, ip_address: '10.5.0.51' }] } }) },
  { name: 'tenant: update own port fixed ip subnet', who: TENANT, method: 'PUT', path: at('tport'), body: (ids) => ({ port: { fixed_ips: [{ subnet_id: ids.sub }] } }) },
  { name: 'tenant: update own port binding:host_id', who: TENANT, method: 'PUT', path: at('tport'), body: put({ 'binding:host_id': 'cn1' }) },
  { name: 'tenant: update own port groups', who: TENANT, method: 'PUT', path: at('tport'), body: (ids) => ({ port: { security_groups: [ids.sg] } }) },
  { name: 'tenant: update own port name', who: TENANT, method: 'PUT', path: at('tport'), body: put({ name: 'renamed' }) },
  // hole 2: the network owner on someone else's port
  { name: 'owner: show tenant port', who: OWNER, method: 'GET', path: at('tport') },
  { name: 'owner: list ports', who: OWNER, method: 'GET', path: () => '/v2.0/ports' },
  { name: 'owner: update tenant port name', who: OWNER, method: 'PUT', path: at('tport'), body: put({ name: 'owned' }) },
  { name: 'owner: update tenant port pairs', who: OWNER, method: 'PUT', path: at('tport'), body: put({ allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] }) },
  { name: 'owner: update tenant port groups', who: OWNER, method: 'PUT', path: at('tport'), body: put({ security_groups: [] }) },
  { name: 'owner: update tenant port port_security_enabled', who: OWNER, method: 'PUT', path: at('tport'), body: put({ port_security_enabled: false }) },
  { name: 'owner: update tenant port device_owner network:dhcp', who: OWNER, method: 'PUT', path: at('tport'), body: put({ device_owner: 'network:dhcp' }) },
  { name: 'owner: update tenant port mac_address', who: OWNER, method: 'PUT', path: at('tport'), body: put({ mac_address: 'fa:16:3e:11:22:35' }) },
  { name: 'owner: create port for herself with device_owner network:dhcp', who: OWNER, method: 'POST', path: () => '/v2.0/ports', body: port({ device_owner: 'network:dhcp' }), save: 'oport' },
  { name: 'owner: create port with mac and pair', who: OWNER, method: 'POST', path: () => '/v2.0/ports', body: port({ mac_address: 'fa:16:3e:11:22:36', allowed_address_pairs: [{ ip_address: '10.5.0.3' }] }) },
  { name: 'owner: update own port mac_address', who: OWNER, method: 'PUT', path: at('oport'), body: put({ mac_address: 'fa:16:3e:11:22:37' }) },
  { name: 'tenant: update owner port name', who: TENANT, method: 'PUT', path: at('oport'), body: put({ name: 'mine' }) },
  { name: 'tenant: delete owner port', who: TENANT, method: 'DELETE', path: at('oport') },
  { name: 'owner: delete tenant port', who: OWNER, method: 'DELETE', path: at('tport2') },
  { name: 'admin: update tenant port device_owner network:dhcp', who: ADMIN, method: 'PUT', path: at('tport'), body: put({ device_owner: 'network:dhcp' }) },
  { name: 'tenant: rename its port that an admin made a network port', who: TENANT, method: 'PUT', path: at('tport'), body: put({ name: 'still-mine' }) },
  { name: 'tenant: move its network port back to compute:nova', who: TENANT, method: 'PUT', path: at('tport'), body: put({ device_owner: 'compute:nova' }) },
  // a project's quotas: its own and an admin's to read, nobody else's
  { name: 'tenant: own quotas', who: TENANT, method: 'GET', path: () => '/v2.0/quotas/proj-tenant' },
  { name: 'tenant: another project\'s quotas', who: TENANT, method: 'GET', path: () => '/v2.0/quotas/proj-owner' },
  { name: 'admin: a project\'s quotas', who: ADMIN, method: 'GET', path: () => '/v2.0/quotas/proj-owner' },
  // hole 9: a page marker nobody can see, and names counted as Python counts them
  ...['networks', 'ports', 'subnets', 'security-groups', 'security-group-rules'].flatMap((c): Step[] => [
    { name: `tenant: ${c} page after an unknown marker`, who: TENANT, method: 'GET', path: () => `/v2.0/${c}?limit=1&marker=3b2d5e0c-9a0e-4d38-9d5a-1c2f0e9b8a77` },
    { name: `tenant: ${c} after an unknown marker, no limit`, who: TENANT, method: 'GET', path: () => `/v2.0/${c}?marker=3b2d5e0c-9a0e-4d38-9d5a-1c2f0e9b8a77` },
  ]),
  { name: 'tenant: networks page after another project\'s network as marker', who: TENANT, method: 'GET', path: (ids) => `/v2.0/ports?limit=1&marker=${ids.oport ?? 'x'}` },
  { name: 'tenant: network named with 255 astral characters', who: TENANT, method: 'POST', path: () => '/v2.0/networks', body: () => ({ network: { name: '\u{1F600}'.repeat(255) } }) },
  { name: 'tenant: network named with 256 astral characters', who: TENANT, method: 'POST', path: () => '/v2.0/networks', body: () => ({ network: { name: '\u{1F600}'.repeat(256) } }) },
];

type Outcome = { status: number; type?: string; message?: string };

async function play(url: string): Promise<Outcome[]> {
  const ids: Ids = {};
  const out: Outcome[] = [];
  for (const s of STEPS) {
    const r = await api(url, s.method, s.path(ids), s.who, s.body?.(ids));
    const created = r.body && typeof r.body === 'object' ? Object.values(r.body as Record<string, { id?: string }>)[0] : undefined;
    if (s.save && r.status === 201 && created?.id) ids[s.save] = created.id;
    const error = (r.body as { NeutronError?: { type: string; message: string } } | undefined)?.NeutronError;
    out.push({ status: r.status, type: error?.type, message: error?.message });
  }
  return out;
}

test('port policy (every owner-only attribute, the network owner on others\' ports), page markers and name lengths answer as Neutron 21', async () => {
  const [mine, real] = await Promise.all([play(portsec.url), play(neutron.url)]);
  // policy messages name rules, not ids: they must agree too
  const answer = (o: Outcome) => [o.status, o.type, o.type === 'PolicyNotAuthorized' ? o.message : undefined].filter((x) => x !== undefined).join(' ');
  const table = STEPS.map((s, i) => ({ step: s.name, neutron: answer(real[i]), portsec: answer(mine[i]) }));
  const differ = table.filter((r) => r.neutron !== r.portsec);
  if (process.env.PORTSEC_SHOW_POLICY) process.stdout.write(`${JSON.stringify(STEPS.map((s, i) => [s.name, real[i], mine[i]]), null, 1)}\n`);
  expect(differ).toEqual([]);
  // the holes themselves, so that a change of the real server's answers cannot hide them
  const status = (name: string) => mine[STEPS.findIndex((s) => s.name === name)].status;
  expect(status('tenant: create port with device_owner network:dhcp')).toBe(403);
  expect(status('tenant: update own port to device_owner network:dhcp')).toBe(403);
  expect(status('owner: update tenant port pairs')).toBe(403);
  expect(status('owner: update tenant port port_security_enabled')).toBe(403);
}, 300_000);
