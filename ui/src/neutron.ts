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

/**
 * Names as drawn: at most `max` characters, a long one cut in the middle (a
 * cloud's names share prefixes, "prod-eu-west-web-…", and differ at the end);
 * names that still come out alike get the start of their id.
 */
export function shortNames(items: readonly { id: string; name: string }[], max: number): Map<string, string> {
  const cut = (name: string) => {
    if (name.length <= max) return name;
    const head = Math.ceil((max - 1) * 0.5);
    return `${name.slice(0, head)}…${name.slice(name.length - (max - 1 - head))}`;
  };
  const byShort = new Map<string, string[]>();
  const out = new Map<string, string>();
  for (const { id, name } of items) {
    const s = cut(name || id.slice(0, 8));
    out.set(id, s);
    byShort.set(s, [...(byShort.get(s) ?? []), name]);
  }
  // only names that were cut alike are told apart: two groups both named "default" are the same name
  for (const { id, name } of items) {
    const s = out.get(id)!;
    if (s !== name && new Set(byShort.get(s)).size > 1) out.set(id, `${cut(name).slice(0, max - 6)}… #${id.slice(0, 4)}`);
  }
  return out;
}
