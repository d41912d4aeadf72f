/**
 * The analyzer's answers (after Batfish: every question returns rows of one
 * shape), shared by the CLI's tables, the HTTP API and the web console.
 */
import { type Fix } from './fix/types.js';
import { type RuleOrigin as IrOrigin } from '../policy/ir.js';
import { type NeutronBackend } from '../policy/neutron-backends.js';

/** An object an answer points at, so tables, SARIF and the console can link it. */
export interface ObjectRef {
  type: 'port' | 'security_group' | 'security_group_rule' | 'network' | 'external';
  id: string;
  name?: string;
}

type Family = 'IPv4' | 'IPv6';

/** The security-group rule (or Neutron's own rule) that decided a packet; its direction is the step's. */
export interface RuleDetail {
  ethertype: Family;
  /** null: any protocol */
  protocol: string | null;
  portMin: number | null;
  portMax: number | null;
  remote: { kind: 'any' } | { kind: 'prefix'; cidr: string } | { kind: 'group'; group: ObjectRef };
  origin: RuleOrigin;
}

/** Where a rule comes from: a security group's rule, one Neutron adds to every port, or one of the driver's fixed lines (the IR's own origins but a group's). */
export type RuleOrigin = { kind: 'group'; group: ObjectRef; rule: ObjectRef } | Exclude<IrOrigin, { kind: 'group' }>;

/** Why a port's traffic is not filtered at all. */
export type UnfilteredReason = 'network-owned' | 'port-security-disabled';

/** The remote-group member whose address made a remote-group rule match the peer. */
export interface MemberMatch {
  group: ObjectRef;
  port: ObjectRef;
  /** the member's address as Neutron hands it over: a host IP, or a pair's CIDR */
  address: string;
  via: 'fixed-ip' | 'allowed-address-pair';
  /** the backend matches this member only in frames from this MAC (the openvswitch firewall's /0 pair) */
  onlyFromMac?: string;
  /** the member is another group's /0, which the backend shares with this group (the openvswitch firewall merges them by address) */
  shared?: true;
}

/** The anti-spoofing entry of the sending port that lets the source address out. */
export interface SpoofMatch {
  /** the source allowed: fixed IP, pair or link-local CIDR; null when the port has no fixed IP (its MAC alone) */
  address: string | null;
  mac: string;
  via: 'fixed-ip' | 'allowed-address-pair' | 'link-local' | 'mac-only';
}

/** How the packet gets onto the destination's network. */
export type EntryThrough =
  /** the source is a port's own address, or SRC names the port */
  | { kind: 'sender'; port: ObjectRef }
  /** from outside the cloud: through a router interface, a port without port security, or a port whose pair covers it */
  | { kind: 'router' | 'unfiltered' | 'pair'; port: ObjectRef; network: ObjectRef }
  | { kind: 'none'; network: ObjectRef };

/** What one port's egress or ingress chain did with the packet. */
export type FilterOutcome =
  | { by: 'rule'; rule: RuleDetail; member?: MemberMatch }
  /** no rule admits this service (port: destination port or ICMP type) */
  | { by: 'no-rule'; service: { ethertype: Family; protocol: string; port: number | null } }
  /** the lines every chain carries before its rules (DHCP, NDP, router advertisements) */
  | { by: 'fixed'; verdict: 'accept' | 'drop'; why: string }
  | { by: 'unfiltered'; reason: UnfilteredReason };

/**
 * One step of a can-reach explanation, in the order the packet meets it, as
 * typed facts: the output formats (report/explain.ts) make the words.
 */
export type ReachStep = { ok: boolean } & (
  | { stage: 'entry'; source: string; through: EntryThrough }
  /** the sending port's anti-spoofing; entry unset: nothing lets the source out */
  | { stage: 'spoof'; port: ObjectRef; source: string; entry?: SpoofMatch }
  /** the sending port's egress chain (peer: the destination address) or the receiving port's ingress chain (peer: the source), as its node's backend filters */
  | ({ stage: 'egress' | 'ingress'; port: ObjectRef; peer: string; backend: NeutronBackend } & FilterOutcome)
  /** between two networks: the router with an interface on both, if any */
  | { stage: 'network'; from: ObjectRef; to: ObjectRef; router?: string }
  /**
   * to an address outside the cloud: out of the sender's network, which is external itself or has a
   * router (with its gateway's external network when the snapshot shows it; else `assumed` says what was)
   */
  | { stage: 'exit'; from: ObjectRef; destination: string; router?: string; external?: ObjectRef; assumed?: string }
  /**
   * the receiving port's own addresses on delivery (OVN's port security): the entry that holds the destination
   * (as the sender's would be let out), or the group address a broadcast or multicast frame goes to; neither: dropped
   */
  | { stage: 'delivery'; port: ObjectRef; destination: string; entry?: SpoofMatch; group?: 'broadcast' | 'multicast' }
);

export interface ReachQuery {
  /** port id or name, instance (device) name, or IP address (external ones included) */
  src: string;
  dst: string;
  protocol: string;
  /** destination port, or ICMP type */
  port?: number;
  /** source port, or ICMP code; unset means an ephemeral port no rule names */
  sourcePort?: number;
  /** with SRC a port: the source address it sends from (spoofed, a VIP, forwarded traffic); default its fixed IP */
  sourceIp?: string;
  /** with SRC a port: the frame's source MAC (an allowed-address pair's own MAC, a forged one); default the port's MAC */
  sourceMac?: string;
  /** with DST a port: the address the packet is sent to (one the port does not hold, broadcast, multicast); default its fixed IP */
  destinationIp?: string;
  /** what to answer for: what the API says (the default), or what each node's agent enforces (portsec serve with agents) */
  view?: 'api' | 'agents';
}

/**
 * A port's backend as the analysis assumes it: forced on the whole cloud (--backend), found in
 * the snapshot (its binding, the agents), or the default for a port nothing spoke for.
 */
export interface AssumedBackend {
  backend: NeutronBackend;
  why: 'forced' | 'found' | 'default';
  /** what the snapshot recorded for the port (found: the evidence; default: why nothing was found) */
  evidence?: string;
}

/** can-reach without a destination port: one answer per service the rules tell apart, and one for any other. */
export interface ServiceAnswer {
  /** "tcp/22", "tcp/8000-8080", "tcp other ports (asked at 1024)", "icmp type 8", "icmp other types" */
  service: string;
  answer: ReachAnswer;
}

export interface ReachAnswer {
  verdict: 'ALLOW' | 'DENY';
  /** the firewall the verdict assumes the receiving port's node runs */
  backend: NeutronBackend;
  /** each filtering port's backend the verdict assumed (the sender's egress, the receiver's ingress), and why */
  assumed: ({ stage: 'egress' | 'ingress'; port: ObjectRef } & AssumedBackend)[];
  query: ReachQuery;
  /** the steps of the allowing path, or of every blocked path when denied */
  steps: ReachStep[];
  /** when denied: every setting that would have to change, as openstack CLI commands with why */
  changes: { why: string; command: string }[];
}

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export interface Finding {
  /** stable across runs on the same cloud: the check and a hash of the objects it is about ("wide-pair-in-remote-group-3f2a91c0"); `portsec fix` takes it */
  id: string;
  /** the check's id, e.g. "wide-pair-in-remote-group" */
  check: string;
  severity: Severity;
  title: string;
  objects: ObjectRef[];
  evidence: string[];
  /** the fixes, each proven on the snapshot before it is offered (alternatives are separate fixes); attached on demand (fix/prove.ts withFixes) */
  fixes?: Fix[];
  /** how each backend behaves, where that differs (iptables/ipset, OVS firewall, OVN) */
  backends?: Record<string, string>;
  /** the firewall the finding assumes the cloud runs (the audit sets it on every finding) */
  backend?: NeutronBackend;
  /** the id of the finding this one follows from (audit/fold.ts): reports fold it under that root cause */
  rootCause?: string;
  /** on a root cause: the ids of the findings folded under it */
  derived?: string[];
}

/**
 * A finding as a check makes it, before the audit gives it its id. `key`: what singles it out
 * when its objects also list what it affects (ports a widened rule opens, rules naming a group),
 * so its id stays while those come and go; default its objects.
 */
export type Found = Omit<Finding, 'id'> & { key?: string[] };

/** An address or prefix a rule admits, and what admits it: a rule's remote (anywhere, a prefix, one remote-group member), or nothing, the port being unfiltered. */
export interface ExposureAddress {
  cidr: string;
  from:
    | { kind: 'any' | 'prefix'; rule: RuleOrigin }
    | { kind: 'member'; member: MemberMatch; rule: RuleOrigin }
    | { kind: 'unfiltered'; reason: UnfilteredReason };
}

/** A rule's remote group as a whole (the default): its members' addresses are in the row's sources, counted here, listed with `--members`. */
export interface ExposureGroup {
  from: { kind: 'group'; group: ObjectRef; members: number; rule: RuleOrigin };
}

export type ExposureSource = ExposureAddress | ExposureGroup;

export interface ExposureRow {
  port: ObjectRef;
  ethertype: 'IPv4' | 'IPv6';
  protocol: string;
  /** "80", "1000-2000", "any" */
  ports: string;
  /** the minimal CIDR list of allowed sources */
  sources: string[];
  /** one per rule (a remote group's members counted), or with members asked for, one per member */
  origins: ExposureSource[];
  /** the firewall the sources assume the cloud runs */
  backend: NeutronBackend;
}

/** A row less its port: what ports with the same groups, member lists and backend share. */
export type ExposureService = Omit<ExposureRow, 'port'>;

/** One backend's answer for a flow class of a diff: the verdict and the steps that decided it (can-reach's, for the class's representative flow). */
export interface DiffSide {
  backend: NeutronBackend;
  verdict: 'ALLOW' | 'DENY';
  /** allowed: the egress and ingress steps that let it through; denied: every blocked step */
  steps: ReachStep[];
  /** denied: what would let the class's flow through (can-reach's changes for it) */
  changes: { why: string; command: string }[];
}

/** A flow class whose verdict changes from one backend to another (portsec diff). */
export interface DiffRow {
  /** the address flows go to (a fixed IP, or a VIP held as a pair), and the ports that hold it */
  destination: { address: string; ports: ObjectRef[] };
  ethertype: Family;
  /** a protocol name, or "any": one no rule names */
  protocol: string;
  /** "80", "1000-2000", "any", "type 8 code 0" */
  ports: string;
  /** the source addresses of the class, as the fewest CIDRs */
  sources: string[];
  /** the same set as the smallest CIDR that holds it, less some blocks (shorter to read when the class is "everything but a few members") */
  cover: { cidr: string; except: string[] };
  /** the ports the flows come from: senders from their own fixed IPs, or the one port (with pairs, without port security, a router) the sources enter through */
  senders: ObjectRef[];
  /** one flow of the class, as can-reach takes it: both sides answer it as they do every flow of the class */
  flow: ReachQuery;
  from: DiffSide;
  to: DiffSide;
}
