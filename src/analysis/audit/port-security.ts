/**
 * (d) Ports without port security on a network with protected ports: they may
 * send from any address and receive anything, so the protected ports' groups
 * and anti-spoofing no longer bound what happens on the network.
 */
import { type Found } from '../answers.js';
import { type Cloud, portLabel, portRef } from '../cloud.js';

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
        fix: [`openstack port set --enable-port-security --security-group <group> ${p.id}`],
      });
    }
  }
  return findings;
}
