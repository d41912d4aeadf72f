/** Calls to portsec's Neutron and analysis APIs with the session's token. */
import type { ExposureRow, Finding, ReachAnswer, ReachQuery } from '../../src/analysis/answers.js';
import type { Cloud, Network, Port, SecurityGroup, SecurityGroupRule, Subnet } from './neutron.js';

/** An API call that did not succeed; 401 means the session is over. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Neutron's NeutronError, Keystone's error, or the bare status. */
function errorMessage(status: number, body: unknown): string {
  const b = body as { NeutronError?: { message?: string }; error?: { message?: string } } | undefined;
  return b?.NeutronError?.message ?? b?.error?.message ?? `HTTP ${status}`;
}

/** Only the attributes the console reads: a 10,000-port listing stays small. */
const fields = (names: string[]) => names.map((n) => `fields=${n}`).join('&');

export class Api {
  constructor(readonly token: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(path, {
      method,
      headers: { 'X-Auth-Token': this.token, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, parsed));
    return parsed as T;
  }

  async cloud(): Promise<Cloud> {
    const [groups, rules, ports, networks, subnets] = await Promise.all([
      this.call<{ security_groups: SecurityGroup[] }>('GET', `/v2.0/security-groups?${fields(['id', 'name', 'project_id', 'description'])}`),
      this.call<{ security_group_rules: SecurityGroupRule[] }>('GET', `/v2.0/security-group-rules?${fields([
        'id', 'security_group_id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id'])}`),
      this.call<{ ports: Port[] }>('GET', `/v2.0/ports?${fields([
        'id', 'name', 'project_id', 'network_id', 'device_owner', 'fixed_ips', 'allowed_address_pairs', 'security_groups', 'port_security_enabled'])}`),
      this.call<{ networks: Network[] }>('GET', `/v2.0/networks?${fields(['id', 'name', 'project_id'])}`),
      this.call<{ subnets: Subnet[] }>('GET', `/v2.0/subnets?${fields(['id', 'name', 'network_id', 'cidr'])}`),
    ]);
    return { groups: groups.security_groups, rules: rules.security_group_rules, ports: ports.ports, networks: networks.networks, subnets: subnets.subnets };
  }

  async findings(): Promise<Finding[]> {
    return (await this.call<{ findings: Finding[] }>('GET', '/analysis/v1/findings')).findings;
  }

  canReach(q: ReachQuery): Promise<ReachAnswer> {
    return this.call('POST', '/analysis/v1/can-reach', q);
  }

  async exposure(portId?: string): Promise<ExposureRow[]> {
    const q = portId === undefined ? '' : `?port_id=${encodeURIComponent(portId)}`;
    return (await this.call<{ exposure: ExposureRow[] }>('GET', `/analysis/v1/exposure${q}`)).exposure;
  }

  /** Server-sent `change` events; EventSource cannot set headers, so the token rides in the query. */
  events(): EventSource {
    return new EventSource(`/analysis/v1/events?token=${encodeURIComponent(this.token)}`);
  }
}
