/**
 * (d) Ports without port security on a network with protected ports: they may
 * send from any address and receive anything, so the protected ports' groups
 * and anti-spoofing no longer bound what happens on the network.
 */
import { type Finding, type Found } from '../answers.js';
import { type Cloud, portLabel, portRef } from '../cloud.js';
import { slug, subnetsOf } from '../fix/build.js';
import { type Candidate, type FixAction } from '../fix/types.js';

export function portSecurityFindings(cloud: Cloud): Found[] {
  const findings: Found[] = [];
  for (const [networkId, ports] of cloud.portsOfNetwork) {
    const kinds = ports.map((p) => [p, cloud.kind(p.id)] as const);
    const protectedPorts = kinds.filter(([, k]) => k === 'filtered').map(([p]) => p);
    if (!protectedPorts.length) continue;
    for (const [p, kind] of kinds) {
      if (kind !== 'unfiltered') continue;
      const network = cloud.networks.get(networkId)?.name || networkId;
      findings.push({
        check: 'port-security-disabled',
        severity: 'medium',
        title: `${portLabel(p)} has port security disabled on network ${network}, beside ${protectedPorts.length} protected port(s)`,
        objects: [portRef(p), { type: 'network', id: networkId, name: network }],
        evidence: [`port ${portLabel(p)} (${p.id}): port_security_enabled is false: no anti-spoofing, no security groups`, `protected ports on the same network: ${protectedPorts.slice(0, 10).map((x) => portLabel(x)).join(', ')}${protectedPorts.length > 10 ? ', …' : ''}`],
      });
    }
  }
  return findings;
}

/**
 * Port security on, with a group of the port's own: Neutron's stock egress (the port sent anywhere
 * before) and ingress from its network's subnets, the one range the snapshot tells is its neighbours'.
 * Everything else it received is closed: the proof lists it.
 */
export function enablePortSecurityFixes(cloud: Cloud, f: Finding): Candidate[] {
  const port = cloud.ports.get(f.objects[0].id);
  if (!port) return [];
  const group = { created: 'secured' };
  const ingress = (['IPv4', 'IPv6'] as const).flatMap((ethertype) => subnetsOf(cloud, [port.network_id], ethertype).map((s): FixAction => ({
    op: 'create-rule', group, rule: { direction: 'ingress', ethertype, protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: s.cidr, remote_group: null, description: `from subnet ${s.name || s.id}` },
  })));
  return [{
    kind: 'enable-port-security',
    title: `turn port security on for ${portLabel(port)}, in a new group sending anywhere and admitting ${ingress.length ? 'its network\'s subnets' : 'nothing new'}`,
    caveats: ['the port no longer forwards or sends from addresses other than its own: a router or NAT instance needs allowed-address pairs', ...(ingress.length ? [] : ['the snapshot holds no subnet of its network: it admits only replies until you add rules'])],
    actions: [
      { op: 'create-group', as: 'secured', name: `${slug(portLabel(port))}-secured`, project: port.project_id, description: `${portLabel(port)} with port security on`, stockEgress: 'keep' },
      ...ingress,
      { op: 'set-port-security', port: port.id, enabled: true },
      { op: 'set-port-groups', port: port.id, groups: [group] },
    ],
  }];
}
