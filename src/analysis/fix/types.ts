/**
 * A fix as data: the API writes that would remove a finding, in the order they run. Each fix is
 * proven on the snapshot in memory before it is offered (fix/prove.ts, on demand: the audit alone
 * proves nothing, which at 100,000 ports would take too long); the same
 * actions become an `openstack` script (fix/script.ts) or are run through Neutron's API with
 * If-Match on every revision they were derived from (fix/execute.ts), so what is shown, what is
 * proven and what is run are one thing.
 */
import { type ObjectRef, type ReachQuery } from '../answers.js';
import { type SnapshotRule } from '../snapshot.js';

/** An object the fix names: one the snapshot holds (by id), or one an earlier action of the same fix creates (by its local name). */
export type FixRef = { id: string } | { created: string };

/** A rule as `openstack security group rule create` makes it; the remote is a prefix, a group, or nothing (any). */
export type FixRule = Pick<SnapshotRule, 'direction' | 'ethertype' | 'protocol' | 'port_range_min' | 'port_range_max' | 'remote_ip_prefix'> & {
  remote_group: FixRef | null;
  description?: string;
};

export type FixAction =
  /**
   * a new security group in the project that owns the port it is for (never the caller's); Neutron
   * gives it two allow-all egress rules (IPv4, IPv6): `stockEgress: 'delete'` removes them at once,
   * before anything uses the group, when the rules it takes over do not allow all egress
   */
  | { op: 'create-group'; as: string; name: string; project: string; description: string; stockEgress: 'keep' | 'delete' }
  /** `project`: the owner of the rule's group (never the caller's), set when the fix is read against the snapshot */
  | { op: 'create-rule'; group: FixRef; rule: FixRule; project?: string }
  /** deletes run after every create of the same fix */
  | { op: 'delete-rule'; rule: string; revision?: number }
  | { op: 'delete-group'; group: string; revision?: number }
  /** the port's whole list of groups afterwards (`port set --no-security-group --security-group …`) */
  | { op: 'set-port-groups'; port: string; groups: FixRef[]; revision?: number }
  /** the port's whole list of allowed-address pairs afterwards */
  | { op: 'set-port-pairs'; port: string; pairs: { ip_address: string; mac_address?: string }[]; revision?: number }
  | { op: 'set-port-security'; port: string; enabled: boolean; revision?: number }
  | { op: 'set-group-stateful'; group: string; stateful: boolean; revision?: number }
  /** a port created in the group on the network and deleted again: Neutron's server then tells every agent the group's members */
  | { op: 'refresh-members'; group: string; network: string; project: string; name: string };

/** A flow class a proof reports: destination, service and sources, as `portsec diff` rows name them. */
export interface FlowChange {
  destination: { address: string; ports: ObjectRef[] };
  ethertype: 'IPv4' | 'IPv6';
  protocol: string;
  ports: string;
  sources: string[];
  senders: ObjectRef[];
}

/** What applying a fix to the snapshot did, measured by re-running the analysis on the result. */
export interface FixProof {
  /** flows allowed before and denied after */
  closed: FlowChange[];
  /** flows the finding is about that stay allowed (through other rules or members), so nobody is surprised */
  stayOpen: FlowChange[];
  /** flows denied before and allowed after: must be empty, or only what the fix's `restores` names, for a fix to be offered */
  opened: FlowChange[];
  /** the finding is gone from the re-audit */
  findingGone: boolean;
  /** findings the re-audit has that the audit before did not (ids): must be empty */
  newFindings: string[];
}

export interface Fix {
  /** "move-port-to-own-group", "replace-rule-with-prefix", …: stable, with the finding's id it names this alternative */
  kind: string;
  /** one line: what the fix does */
  title: string;
  /** what the operator loses or must know (legitimate flows closed, a restart) */
  caveats: string[];
  actions: FixAction[];
  /** a fix that restores traffic (a VIP's VRRP, an OVN pair) may open exactly these flows, and no other */
  restores?: FlowChange[];
  proof: FixProof;
}

/**
 * A fix as a check proposes it, before the proof: `about` are flows the finding is about (one
 * each), asked again after the fix so the proof can say which of them stay open.
 */
export type Candidate = Omit<Fix, 'proof'> & { about?: ReachQuery[] };
