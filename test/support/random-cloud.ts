/**
 * Seeded random clouds for the analyzer-against-the-kernel test: networks,
 * compute nodes, groups (stateful or stateless, some with their default egress
 * rules replaced) with random rules, and instances with random groups,
 * allowed-address pairs and port security — within Neutron's limits (no groups
 * or pairs without port security, a port's groups all stateful or all
 * stateless). The cloud is built through the API and the lab (labUp).
 */
import { formatIp, parseCidr } from '../../src/model/addresses.js';
import { type Random } from '../../src/model/random.js';
import { type NeutronClient } from '../../src/lab/client.js';
import { type LabSpec } from '../../src/lab/spec.js';

export class Dice {
  constructor(readonly next: Random) {}

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** One key drawn with the given weights. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let x = this.next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [k, w] of entries) if ((x -= w) < 0) return k;
    return entries[entries.length - 1][0];
  }

  /** Up to n distinct items. */
  some<T>(items: readonly T[], n: number): T[] {
    const rest = [...items];
    const out: T[] = [];
    while (out.length < n && rest.length) out.push(rest.splice(Math.floor(this.next() * rest.length), 1)[0]);
    return out;
  }

  /** A unicast address an instance could plausibly put on the wire (no 0/8, 127/8, multicast or class E). */
  publicAddress(): string {
    for (;;) {
      const first = this.int(1, 223);
      if (first !== 127) return `${first}.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
    }
  }

  /** A random address inside the CIDR (for a /0, a public one). */
  addressIn(cidr: string): string {
    const c = parseCidr(cidr, true)!;
    if (c.prefixlen === 0) return this.publicAddress();
    const size = 2 ** (32 - c.prefixlen);
    const base = Number(c.address) - (Number(c.address) % size);
    return formatIp(4, BigInt(base + Math.floor(this.next() * size)));
  }
}

export interface RulePlan {
  direction: 'ingress' | 'egress';
  protocol?: string;
  min?: number;
  max?: number;
  remoteIp?: string;
  /** a group of this cloud, by name */
  remoteGroup?: string;
}

export interface GroupPlan {
  name: string;
  stateful: boolean;
  /** false: the two default egress rules are deleted, the group's own egress rules (maybe none) replace them */
  defaultEgress: boolean;
  rules: RulePlan[];
}

export interface CloudPlan {
  /** the lab: networks, instances with their ports; its groups are only names (built from `groups`) */
  spec: LabSpec;
  groups: GroupPlan[];
  /** two unfiltered instances on different nodes whose traffic the policy cannot stop: the harness's own loss check */
  controls: [string, string];
  /** TCP/UDP ports the rules favour, so that probes hit them */
  services: number[];
}

export const HOSTS = ['ag1', 'ag2', 'ag3'];
const EXTERNAL = '200.200.200.0/24';
const OTHER_PROTOCOLS = ['vrrp', '112', 'gre', '47', 'esp', '50', 'ah', 'ospf', '253'];

function subnetHosts(cidr: string): { first: number; last: number } {
  const c = parseCidr(cidr)!;
  const base = Number(c.address);
  return { first: base + 1, last: base + 2 ** (32 - c.prefixlen) - 2 };
}

/** A prefix around an address (host bits sometimes left set: Neutron accepts them and iptables masks them). */
function prefixAround(dice: Dice, ip: string): string {
  const len = dice.int(26, 32);
  const c = parseCidr(`${ip}/${len}`)!;
  const net = Number(c.address) - (Number(c.address) % 2 ** (32 - len));
  return `${dice.chance(0.8) ? formatIp(4, BigInt(net)) : ip}/${len}`;
}

export function randomCloud(dice: Dice, index: number): CloudPlan {
  const prefix = `ak${index}`;
  const hosts = HOSTS.slice(0, dice.int(2, 3));
  const networks = Array.from({ length: dice.int(1, 2) }, (_, i) => ({ name: `${prefix}n${i}`, cidr: `10.${60 + index}.${i * 16}.0/${dice.pick([24, 25, 26])}` }));
  const services = [22, 80, 443, 3389, 53, ...Array.from({ length: 3 }, () => dice.int(1024, 60000))];

  // addresses: fixed IPs drawn without repeats, a few VIPs per network that ports may share as pairs
  const used = new Set<string>();
  const freeAddress = (cidr: string) => {
    const { first, last } = subnetHosts(cidr);
    for (;;) {
      const ip = formatIp(4, BigInt(dice.int(first + 1, last))); // first is the gateway
      if (!used.has(ip)) return used.add(ip), ip;
    }
  };
  const vips = new Map(networks.map((n) => [n.name, [freeAddress(n.cidr), freeAddress(n.cidr)]]));

  const groups: GroupPlan[] = Array.from({ length: dice.int(2, 5) }, (_, i) => ({
    name: `${prefix}g${i}`, stateful: dice.chance(0.75), defaultEgress: dice.chance(0.65), rules: [],
  }));

  const instances: LabSpec['instances'] = [];
  const addInstance = (name: string, host: string, network: (typeof networks)[number], nic: Partial<LabSpec['instances'][number]['ports'][number]>) => {
    instances.push({
      name, host, services: [], processes: [], files: {},
      // no IPv4 address and no IPv6 inside: the instance's kernel neither answers probes (RST, ICMP, ARP) nor chatters
      commands: ['ip -4 addr flush dev eth0', 'sysctl -q -w net.ipv6.conf.all.disable_ipv6=1'],
      ports: [{ network: network.name, ip: freeAddress(network.cidr), groups: [], pairs: [], port_security: true, ...nic }],
    });
  };
  const controls: [string, string] = [`${prefix}c0`, `${prefix}c1`];
  addInstance(controls[0], hosts[0], networks[0], { port_security: false });
  addInstance(controls[1], hosts[1], networks[0], { port_security: false });
  const count = dice.int(4, 8);
  for (let i = 0; i < count; i++) {
    const network = dice.pick(networks);
    if (dice.chance(0.15)) {
      addInstance(`${prefix}v${i}`, dice.pick(hosts), network, { port_security: false });
      continue;
    }
    const first = dice.chance(0.9) ? dice.pick(groups) : undefined;
    const sameKind = groups.filter((g) => first && g !== first && g.stateful === first.stateful);
    const chosen = first ? [first, ...dice.some(sameKind, dice.int(0, 1))] : [];
    const pairs = dice.chance(0.45) ? [...new Set(Array.from({ length: dice.int(1, 3) }, () => randomPair(dice, network.cidr, vips.get(network.name)!)))] : [];
    addInstance(`${prefix}v${i}`, dice.pick(hosts), network, { groups: chosen.map((g) => g.name), pairs });
  }

  const addresses = instances.map((i) => i.ports[0].ip);
  const remoteIp = () => {
    switch (dice.weighted({ all: 2, subnet: 2, around: 4, external: 2, wide: 1 })) {
      case 'all': return '0.0.0.0/0';
      case 'subnet': return dice.pick(networks).cidr;
      case 'around': return prefixAround(dice, dice.pick([...addresses, ...[...vips.values()].flat()]));
      case 'external': return dice.chance(0.5) ? EXTERNAL : `${dice.addressIn(EXTERNAL)}/32`;
      default: return dice.pick(['10.0.0.0/8', '128.0.0.0/1', '0.0.0.0/1']);
    }
  };
  const randomRule = (direction: RulePlan['direction'], self: GroupPlan): RulePlan => {
    const rule: RulePlan = { direction };
    const protocol = dice.weighted({ tcp: 30, udp: 25, icmp: 15, any: 12, other: 18 });
    if (protocol === 'tcp' || protocol === 'udp') {
      rule.protocol = protocol;
      const ports = dice.weighted({ none: 25, one: 45, range: 30 });
      if (ports !== 'none') {
        rule.min = dice.chance(0.7) ? dice.pick(services) : dice.int(1, 65535);
        rule.max = ports === 'one' ? rule.min : Math.min(65535, rule.min + dice.int(1, 3000));
      }
    } else if (protocol === 'icmp') {
      rule.protocol = 'icmp';
      const shape = dice.weighted({ none: 35, type: 35, code: 30 });
      if (shape !== 'none') rule.min = dice.pick([8, 8, 13, 15, 17, 0, 3]);
      if (shape === 'code') rule.max = dice.pick([0, 0, 1, 2]);
    } else if (protocol === 'other') {
      rule.protocol = dice.pick(OTHER_PROTOCOLS);
    }
    const remote = dice.weighted({ any: 25, prefix: 40, group: 35 });
    if (remote === 'prefix') rule.remoteIp = remoteIp();
    if (remote === 'group') rule.remoteGroup = dice.chance(0.3) ? self.name : dice.pick(groups).name;
    return rule;
  };
  for (const g of groups) {
    g.rules = Array.from({ length: Number(dice.weighted({ 0: 1, 1: 2, 2: 3, 3: 3, 4: 3, 5: 2, 6: 1 })) }, () => randomRule('ingress', g));
    if (!g.defaultEgress) g.rules.push(...Array.from({ length: dice.int(0, 3) }, () => randomRule('egress', g)));
  }

  return {
    spec: {
      name: prefix, networks, externals: [], instances,
      groups: groups.map((g) => ({ name: g.name, stateful: g.stateful, rules: [] })),
    },
    groups, controls, services,
  };
}

function randomPair(dice: Dice, cidr: string, vips: string[]): string {
  switch (dice.weighted({ vip: 4, inside: 3, all: 1, external: 2 })) {
    case 'vip': return dice.pick(vips);
    case 'inside': return prefixAroundAligned(dice, dice.addressIn(cidr));
    case 'all': return '0.0.0.0/0';
    default: return dice.chance(0.5) ? EXTERNAL : dice.addressIn(EXTERNAL);
  }
}

/** A pair's CIDR must be a network address: Neutron refuses host bits there. */
function prefixAroundAligned(dice: Dice, ip: string): string {
  const len = dice.int(27, 30);
  const c = parseCidr(`${ip}/${len}`)!;
  return `${formatIp(4, BigInt(Number(c.address) - (Number(c.address) % 2 ** (32 - len))))}/${len}`;
}

/**
 * Creates the groups with their rules through the API (before the lab's ports,
 * so that a port is enforced with its final rules): default egress rules
 * deleted where the plan says so, duplicates (which Neutron refuses) skipped.
 */
export async function createGroups(client: NeutronClient, plan: CloudPlan): Promise<number> {
  const ids = new Map<string, string>();
  for (const g of plan.groups) {
    const id = (await client.call('POST', 'security-groups', { security_group: { name: g.name, stateful: g.stateful } })).security_group.id;
    ids.set(g.name, id);
    if (g.defaultEgress) continue;
    for (const r of (await client.call('GET', `security-group-rules?security_group_id=${id}`)).security_group_rules) {
      await client.call('DELETE', `security-group-rules/${r.id}`);
    }
  }
  let created = 0;
  for (const g of plan.groups) {
    for (const r of g.rules) {
      const body = {
        security_group_id: ids.get(g.name), direction: r.direction, ethertype: 'IPv4',
        ...(r.protocol !== undefined ? { protocol: r.protocol } : {}),
        ...(r.min !== undefined ? { port_range_min: r.min } : {}),
        ...(r.max !== undefined ? { port_range_max: r.max } : {}),
        ...(r.remoteIp !== undefined ? { remote_ip_prefix: r.remoteIp } : {}),
        ...(r.remoteGroup !== undefined ? { remote_group_id: ids.get(r.remoteGroup) } : {}),
      };
      try {
        await client.call('POST', 'security-group-rules', { security_group_rule: body });
        created++;
      } catch (e) {
        if (!/already exists/.test((e as Error).message)) throw e;
      }
    }
  }
  return created;
}
