/**
 * The analyzer's answers (after Batfish: every question returns rows of one
 * shape), shared by the CLI's tables, the HTTP API and the web console.
 */

/** An object an answer points at, so tables, SARIF and the console can link it. */
export interface ObjectRef {
  type: 'port' | 'security_group' | 'security_group_rule' | 'network' | 'external';
  id: string;
  name?: string;
}

/** One step of a can-reach explanation, in the order the packet meets it. */
export interface ReachStep {
  /** entry: where the packet enters the destination's network; spoof: source port's anti-spoofing;
   *  egress: source port's egress rule; ingress: destination port's ingress rule; member: remote-group member that matched */
  stage: 'entry' | 'spoof' | 'egress' | 'ingress' | 'member' | 'network';
  ok: boolean;
  text: string;
  objects: ObjectRef[];
}

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
}

export interface ReachAnswer {
  verdict: 'ALLOW' | 'DENY';
  query: ReachQuery;
  /** the steps of the allowing path, or of every blocked path when denied */
  steps: ReachStep[];
  /** when denied: every setting that would have to change, as openstack CLI commands with why */
  changes: { why: string; command: string }[];
}

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export interface Finding {
  /** the check's id, e.g. "wide-pair-in-remote-group" */
  check: string;
  severity: Severity;
  title: string;
  objects: ObjectRef[];
  evidence: string[];
  /** openstack CLI commands that fix it */
  fix: string[];
  /** how each backend behaves, where that differs (iptables/ipset, OVS firewall, OVN) */
  backends?: Record<string, string>;
}

export interface ExposureSource {
  cidr: string;
  /** "prefix 10.0.0.0/24 (rule <id> of group web)" or "group ssh member nat via allowed-address-pair 0.0.0.0/0" */
  via: string;
}

export interface ExposureRow {
  port: ObjectRef;
  ethertype: 'IPv4' | 'IPv6';
  protocol: string;
  /** "80", "1000-2000", "any" */
  ports: string;
  /** the minimal CIDR list of allowed sources */
  sources: string[];
  origins: ExposureSource[];
}
