/**
 * Turning a query's SRC and DST (port id or name, instance id or name, IP) into
 * ports and addresses (a destination may be outside the cloud), and finding where a packet from an outside address can enter the
 * destination's network: a router interface, a port without port security, or
 * a port whose anti-spoofing admits that source (a NAT server's wide pair).
 */
import { formatIp } from '../model/addresses.js';
import { type Family, FAMILIES } from '../policy/ir.js';
import { BACKEND_SEMANTICS } from '../policy/neutron-backends.js';
import { type EntryThrough } from './answers.js';
import { addressKey, type Cloud, networkRef, portRef } from './cloud.js';
import { allowedBy, type Packet, parseAddress } from './packet.js';
import { refLabel } from './report/explain.js';
import { type SnapshotPort } from './snapshot.js';
import { InputError } from './sources/errors.js';

export interface Destination {
  /** unset: an address outside the cloud (no port holds it) */
  port?: SnapshotPort;
  family: Family;
  value: bigint;
}

export interface Source {
  text: string;
  family: Family;
  value: bigint;
  /** the port sending, when SRC names one or owns the address as a fixed IP */
  port?: SnapshotPort;
}

export interface Entry {
  port?: SnapshotPort;
  ok: boolean;
  /** the source as the query gives it */
  source: string;
  through: EntryThrough;
  change?: { why: string; command: string };
}

const serverIds = new WeakMap<Cloud, Map<string, string[]>>();

/** The instances of a name, when the snapshot has the servers. */
function instancesNamed(cloud: Cloud, name: string): string[] {
  let byName = serverIds.get(cloud);
  if (!byName) {
    serverIds.set(cloud, (byName = new Map()));
    for (const s of cloud.snapshot.servers ?? []) if (s.name) byName.set(s.name, [...byName.get(s.name) ?? [], s.id]);
  }
  return byName.get(name) ?? [];
}

/**
 * The ports SRC or DST names, as users name them: a port's id, an instance's id
 * (device_id), a port's name, an instance's name (when the snapshot has the servers).
 * An instance stands for its ports; a name of two things (two instances, ports of two
 * instances, or ports of none) is refused, listing them: answering for one of them would be a guess.
 */
function portsNamed(cloud: Cloud, text: string, role: 'source' | 'destination'): SnapshotPort[] {
  const byId = cloud.ports.get(text) ?? cloud.portsByDevice.get(text);
  if (byId) return byId instanceof Array ? byId : [byId];
  // what each match stands for: its instance, or the port itself
  const things = new Map<string, SnapshotPort[]>();
  const add = (key: string, ports: SnapshotPort[]) => things.set(key, [...new Set([...things.get(key) ?? [], ...ports])]);
  for (const p of cloud.portsByName.get(text) ?? []) add(p.device_id ? `instance ${p.device_id}` : `port ${p.id}`, [p]);
  for (const id of instancesNamed(cloud, text)) add(`instance ${id}`, cloud.portsByDevice.get(id) ?? []);
  if (things.size > 1) {
    const listed = [...things].map(([key, ports]) => `${key} (port${ports.length > 1 ? 's' : ''} ${ports.map((p) => p.id).join(', ') || 'none'})`);
    throw new InputError(`${role} ${text}: names ${things.size} things: ${listed.join('; ')}; give an id`);
  }
  return [...things.values()][0] ?? [];
}

function addressOf(p: SnapshotPort, family?: Family): { family: Family; value: bigint } | undefined {
  for (const f of p.fixed_ips) {
    const a = parseAddress(f.ip_address);
    if (a && (!family || a.family === family)) return a;
  }
  return undefined;
}

export function resolveDestinations(cloud: Cloud, text: string, destinationIp?: string): Destination[] {
  if (destinationIp !== undefined) {
    const as = parseAddress(destinationIp) ?? fail(`destination address ${destinationIp}: not an IP address`);
    if (parseAddress(text)) fail(`--destination-ip needs DST to be a port or instance, not ${text}`);
    const ports = portsNamed(cloud, text, 'destination');
    if (!ports.length) fail(`destination ${text}: no port or instance has this id or name`);
    return ports.map((port) => ({ port, ...as }));
  }
  const ip = parseAddress(text);
  if (ip) {
    // a VIP: the ports that may hold it as a host pair; no port: outside the cloud
    const vip = cloud.portsByFixedIp.get(addressKey(ip)) ?? cloud.portsByHostPair.get(addressKey(ip)) ?? [];
    return vip.length ? vip.map((port) => ({ port, ...ip })) : [ip];
  }
  const ports = portsNamed(cloud, text, 'destination');
  if (!ports.length) throw new InputError(`destination ${text}: no port or instance has this id or name`);
  const out = ports.flatMap((port) => {
    const a = addressOf(port);
    return a ? [{ port, ...a }] : [];
  });
  if (!out.length) throw new InputError(`destination ${text}: the port has no fixed IP`);
  return out;
}

export function resolveSource(cloud: Cloud, text: string, dst: Destination, sourceIp?: string): Source {
  if (sourceIp !== undefined) {
    const as = parseAddress(sourceIp) ?? fail(`source address ${sourceIp}: not an IP address`);
    // the port sends from the given address, so it needs no fixed IP of its own in that family
    const named = portsNamed(cloud, text, 'source');
    const port = named.find((p) => p.network_id === dst.port?.network_id) ?? named[0] ?? resolveSource(cloud, text, dst).port;
    if (!port) fail(`--source-ip needs SRC to be a port or instance, not ${text}`);
    return { text: sourceIp, ...as, port };
  }
  const ip = parseAddress(text);
  if (ip) {
    const owners = cloud.portsByFixedIp.get(addressKey(ip)) ?? [];
    const port = owners.find((p) => p.network_id === dst.port?.network_id) ?? owners[0];
    return { text, ...ip, port };
  }
  const ports = portsNamed(cloud, text, 'source');
  if (!ports.length) throw new InputError(`source ${text}: no port or instance has this id or name, and it is not an IP address`);
  const port = ports.find((p) => p.network_id === dst.port?.network_id && addressOf(p, dst.family)) ?? ports.find((p) => addressOf(p, dst.family));
  if (!port) throw new InputError(`source ${text}: no ${dst.family} fixed IP`);
  return { text, ...addressOf(port, dst.family)!, port };
}

const candidates = new WeakMap<Cloud, Map<string, SnapshotPort[]>>();

/** Ports of a network that may bring in foreign sources: network-owned, unprotected, or with pairs. */
export function entryCandidates(cloud: Cloud, networkId: string): SnapshotPort[] {
  let byNetwork = candidates.get(cloud);
  if (!byNetwork) candidates.set(cloud, (byNetwork = new Map()));
  let list = byNetwork.get(networkId);
  if (!list) {
    list = (cloud.portsOfNetwork.get(networkId) ?? []).filter((p) => p.device_owner.startsWith('network:') || p.port_security_enabled === false || p.allowed_address_pairs.length);
    byNetwork.set(networkId, list);
  }
  return list;
}

/**
 * Builds every lookup queries need up front (the IR of every port, each network's entry points, the ports by
 * name and address, each remote group's members on each port's node), which the cloud otherwise builds on first use.
 */
export function indexForQueries(cloud: Cloud): void {
  for (const p of cloud.snapshot.ports) cloud.policy(p.id);
  for (const n of cloud.portsOfNetwork.keys()) entryCandidates(cloud, n);
  for (const lookup of [cloud.portsByName, cloud.portsByDevice, cloud.portsByFixedIp, cloud.portsByHostPair]) lookup.size;
  const backends = new Set(cloud.snapshot.ports.map((p) => cloud.backendAt(p.id).backend));
  for (const b of backends) for (const g of cloud.rulesReferencing.keys()) for (const f of FAMILIES) cloud.membersUnder(b)(g, f);
}

const fmtAddress = (family: Family, v: bigint) => formatIp(family === 'IPv4' ? 4 : 6, v);

function fail(message: string): never {
  throw new InputError(message);
}

/** Where the packet starts: the source port itself, or every port on the destination's network that may emit the address. */
export function entryPoints(cloud: Cloud, src: Source, dst: SnapshotPort | undefined, pkt: Packet): Entry[] {
  if (src.port) return [{ port: src.port, ok: true, source: src.text, through: { kind: 'sender', port: portRef(src.port) } }];
  if (!dst) fail(`source ${src.text} and destination ${fmtAddress(pkt.family, pkt.dst)} are both outside the cloud: nothing in it decides`);
  const network = networkRef(cloud, dst.network_id);
  const entries: Entry[] = [];
  for (const p of entryCandidates(cloud, dst.network_id)) {
    if (p.id === dst.id) continue;
    const pp = cloud.policy(p.id);
    if (pp.kind === 'trusted') {
      if (p.device_owner.startsWith('network:router')) entries.push({ port: p, ok: true, source: src.text, through: { kind: 'router', port: portRef(p), network } });
      continue;
    }
    const mac = p.mac_address.toLowerCase();
    const hostBitsPin = BACKEND_SEMANTICS[cloud.backendAt(p.id).backend].hostBitsPinAddress;
    const covered = pp.kind === 'unfiltered' || pp.spoof[pkt.family].some((e) => e.mac === mac && e.cidr !== null && e.via === 'address_pair' && allowedBy(e.cidr, pkt.family, pkt.src, hostBitsPin));
    if (covered) entries.push({ port: p, ok: true, source: src.text, through: { kind: pp.kind === 'unfiltered' ? 'unfiltered' : 'pair', port: portRef(p), network } });
  }
  if (entries.length) return entries;
  const name = refLabel(network);
  return [{
    ok: false,
    source: src.text,
    through: { kind: 'none', network },
    change: { why: `let ${src.text} into network ${name}`, command: `openstack router add subnet <router> <subnet of network ${name}>` },
  }];
}
