/**
 * The parts of Neutron's resources the console reads, as GET /analysis/v1/cloud
 * answers them (Neutron's attribute names, cut down to what is drawn).
 */
import { DEFAULT_NEUTRON_BACKEND, NEUTRON_BACKENDS, type NeutronBackend } from '../../src/policy/neutron-backends.js';
import type { ConsoleGroup, ConsoleNetwork, ConsolePort, ConsoleRule } from '../../src/api/console-cloud.js';

export type SecurityGroup = ConsoleGroup;
export type SecurityGroupRule = ConsoleRule;
export type Port = ConsolePort;
export type Network = ConsoleNetwork;

/** Everything the console draws, as the caller's project sees it. */
export interface Cloud {
  groups: SecurityGroup[];
  rules: SecurityGroupRule[];
  ports: Port[];
  networks: Network[];
}

/** "tcp/80", "udp/1000-2000", "icmp", "any". */
export function ruleService(r: Pick<SecurityGroupRule, 'protocol' | 'port_range_min' | 'port_range_max'>): string {
  const proto = r.protocol ?? 'any';
  if (r.port_range_min === null) return proto;
  const range = r.port_range_max === null || r.port_range_max === r.port_range_min ? `${r.port_range_min}` : `${r.port_range_min}-${r.port_range_max}`;
  return `${proto}/${range}`;
}

export const portLabel = (p: Port): string => p.name || p.id.slice(0, 8);
export const groupLabel = (g: SecurityGroup): string => g.name || g.id.slice(0, 8);

/** The firewall most ports' nodes run, as the import found them (a tie: the first in NEUTRON_BACKENDS); none found: the default. */
export function mostRunBackend(ports: readonly Port[]): NeutronBackend {
  const count = (b: NeutronBackend) => ports.filter((p) => p.backend === b).length;
  const best = NEUTRON_BACKENDS.reduce((a, b) => (count(b) > count(a) ? b : a));
  return count(best) > 0 ? best : DEFAULT_NEUTRON_BACKEND;
}
