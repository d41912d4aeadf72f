/**
 * Row access for every resource: reads that assemble the model records, and
 * the primitive writes the resource operations compose inside one transaction.
 */
import { randomUUID } from 'node:crypto';
import { type AddressPair } from '../model/allowed-address-pairs.js';
import { type StandardAttrs } from '../model/common.js';
import { type Network } from '../model/network.js';
import { type FixedIp, type Port } from '../model/port.js';
import { type SecurityGroup } from '../model/security-group.js';
import { type Rule } from '../model/security-group-rule.js';
import { type Subnet } from '../model/subnet.js';
import { type Db, openDb } from './db.js';

type Row = Record<string, unknown>;

const STD_COLUMNS = 's.id AS standard_attr_id, s.description, s.revision_number, s.created_at, s.updated_at';

function std(r: Row): StandardAttrs {
  return {
    standard_attr_id: r.standard_attr_id as number,
    description: r.description as string | null,
    revision_number: r.revision_number as number,
    created_at: r.created_at as string,
    updated_at: r.updated_at as string,
  };
}

/** Neutron's timestamp format: seconds, UTC, trailing Z. */
export function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

export class Store {
  readonly db: Db;

  constructor(file: string) {
    this.db = openDb(file);
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` as one transaction (IMMEDIATE: writers queue instead of failing). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private all(sql: string, ...params: unknown[]): Row[] {
    return this.db.prepare(sql).all(...params) as Row[];
  }

  private one(sql: string, ...params: unknown[]): Row | undefined {
    return this.db.prepare(sql).get(...params) as Row | undefined;
  }

  run(sql: string, ...params: unknown[]): number {
    return this.db.prepare(sql).run(...params).changes;
  }

  // ---------------------------------------------------------------- standard attributes

  newStd(resourceType: string, description: string | null, revision = 0): number {
    const now = timestamp();
    return Number(this.db.prepare(
      'INSERT INTO standard_attrs (resource_type, description, revision_number, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    ).run(resourceType, description, revision, now, now).lastInsertRowid);
  }

  bump(stdId: number, by = 1, description?: string | null): void {
    if (by === 0 && description === undefined) return;
    const sets = ['revision_number = revision_number + ?', 'updated_at = ?'];
    const params: unknown[] = [by, timestamp()];
    if (description !== undefined) {
      sets.push('description = ?');
      params.push(description);
    }
    this.run(`UPDATE standard_attrs SET ${sets.join(', ')} WHERE id = ?`, ...params, stdId);
  }

  changed(resource: string, id: string, action: string): void {
    this.run('INSERT INTO changes (resource, resource_id, action) VALUES (?, ?, ?)', resource, id, action);
  }

  /** The change log after `seq` (what agents follow). */
  changesSince(seq: number): { seq: number; resource: string; resource_id: string; action: string }[] {
    return this.all('SELECT seq, resource, resource_id, action FROM changes WHERE seq > ? ORDER BY seq', seq) as never;
  }

  lastChange(): number {
    return (this.one('SELECT MAX(seq) AS m FROM changes')?.m as number | null) ?? 0;
  }

  // ---------------------------------------------------------------- networks

  private networks(where: string, ...params: unknown[]): Network[] {
    const rows = this.all(`SELECT n.*, g.segmentation_id, ${STD_COLUMNS} FROM networks n JOIN standard_attrs s ON s.id = n.std_id
      JOIN network_segments g ON g.network_id = n.id ${where}`, ...params);
    const subnets = groupBy(this.all('SELECT id, network_id FROM subnets ORDER BY std_id'), (r) => r.network_id as string);
    return rows.map((r) => ({
      ...std(r),
      id: r.id as string,
      project_id: r.project_id as string,
      name: r.name as string,
      admin_state_up: !!r.admin_state_up,
      shared: !!r.shared,
      port_security_enabled: !!r.port_security_enabled,
      external: !!r.external,
      mtu: r.mtu as number,
      segmentation_id: r.segmentation_id as number,
      subnets: (subnets.get(r.id as string) ?? []).map((s) => s.id as string),
    }));
  }

  network(id: string): Network | undefined {
    return this.networks('WHERE n.id = ?', id)[0];
  }

  allNetworks(): Network[] {
    return this.networks('ORDER BY n.std_id');
  }

  nextSegmentationId(): number {
    return ((this.one('SELECT MAX(segmentation_id) AS m FROM network_segments')?.m as number | null) ?? 0) + 1;
  }

  // ---------------------------------------------------------------- subnets

  private subnets(where: string, ...params: unknown[]): Subnet[] {
    return this.all(`SELECT n.*, ${STD_COLUMNS} FROM subnets n JOIN standard_attrs s ON s.id = n.std_id ${where}`, ...params)
      .map((r) => ({
        ...std(r),
        id: r.id as string,
        project_id: r.project_id as string,
        network_id: r.network_id as string,
        name: r.name as string,
        ip_version: r.ip_version as 4 | 6,
        cidr: r.cidr as string,
        gateway_ip: r.gateway_ip as string | null,
        allocation_pools: JSON.parse(r.allocation_pools as string),
        enable_dhcp: !!r.enable_dhcp,
        dns_nameservers: JSON.parse(r.dns_nameservers as string),
        host_routes: JSON.parse(r.host_routes as string),
        ipv6_ra_mode: r.ipv6_ra_mode as string | null,
        ipv6_address_mode: r.ipv6_address_mode as string | null,
      }));
  }

  subnet(id: string): Subnet | undefined {
    return this.subnets('WHERE n.id = ?', id)[0];
  }

  subnetsOf(networkId: string): Subnet[] {
    return this.subnets('WHERE n.network_id = ? ORDER BY n.std_id', networkId);
  }

  allSubnets(): Subnet[] {
    return this.subnets('ORDER BY n.std_id');
  }

  allocatedIps(subnetId: string): string[] {
    return this.all('SELECT ip_address FROM ip_allocations WHERE subnet_id = ?', subnetId).map((r) => r.ip_address as string);
  }

  allocation(subnetId: string, ip: string): string | undefined {
    return this.one('SELECT port_id FROM ip_allocations WHERE subnet_id = ? AND ip_address = ?', subnetId, ip)?.port_id as string | undefined;
  }

  // ---------------------------------------------------------------- ports

  private ports(where: string, ...params: unknown[]): Port[] {
    const rows = this.all(`SELECT p.*, ${STD_COLUMNS} FROM ports p JOIN standard_attrs s ON s.id = p.std_id ${where}`, ...params);
    if (rows.length === 0) return [];
    const single = rows.length === 1 ? rows[0].id : undefined;
    const sub = (table: string, order: string) => groupBy(
      single === undefined
        ? this.all(`SELECT * FROM ${table} ORDER BY ${order}`)
        : this.all(`SELECT * FROM ${table} WHERE port_id = ? ORDER BY ${order}`, single),
      (r) => r.port_id as string,
    );
    const ips = sub('ip_allocations', 'seq');
    const pairs = sub('allowed_address_pairs', 'rowid');
    const sgs = sub('port_security_groups', 'security_group_id');
    return rows.map((r) => {
      const id = r.id as string;
      return {
        ...std(r),
        id,
        project_id: r.project_id as string,
        network_id: r.network_id as string,
        name: r.name as string,
        mac_address: r.mac_address as string,
        admin_state_up: !!r.admin_state_up,
        status: r.status as string,
        device_id: r.device_id as string,
        device_owner: r.device_owner as string,
        port_security_enabled: !!r.port_security_enabled,
        host_id: r.host_id as string,
        vnic_type: r.vnic_type as string,
        profile: JSON.parse(r.profile as string),
        fixed_ips: (ips.get(id) ?? []).map((i): FixedIp => ({ subnet_id: i.subnet_id as string, ip_address: i.ip_address as string })),
        allowed_address_pairs: (pairs.get(id) ?? []).map((a): AddressPair => ({ mac_address: a.mac_address as string, ip_address: a.ip_address as string })),
        security_groups: (sgs.get(id) ?? []).map((g) => g.security_group_id as string),
      };
    });
  }

  port(id: string): Port | undefined {
    return this.ports('WHERE p.id = ?', id)[0];
  }

  allPorts(): Port[] {
    return this.ports('ORDER BY p.std_id');
  }

  portIdsOnNetwork(networkId: string): string[] {
    return this.all('SELECT id FROM ports WHERE network_id = ? ORDER BY std_id', networkId).map((r) => r.id as string);
  }

  /** The node's tunnel address, assigned on first use from 172.30.0.0/16 (an address that lives only in the underlay namespace). */
  tunnelAddress(host: string): string {
    return this.tx(() => {
      const known = this.one('SELECT tunnel_ip FROM agents WHERE host = ?', host)?.tunnel_ip as string | undefined;
      if (known) return known;
      const n = ((this.one('SELECT COUNT(*) AS n FROM agents')?.n as number) ?? 0) + 1;
      const ip = `172.30.${Math.floor(n / 250)}.${(n % 250) + 1}`;
      this.run('INSERT INTO agents (host, tunnel_ip) VALUES (?, ?)', host, ip);
      return ip;
    });
  }

  tunnelAddresses(): Map<string, string> {
    return new Map(this.all('SELECT host, tunnel_ip FROM agents').map((r) => [r.host as string, r.tunnel_ip as string]));
  }

  /** The compute nodes ports are bound to. */
  boundHosts(): string[] {
    return this.all("SELECT DISTINCT host_id FROM ports WHERE host_id != '' ORDER BY host_id").map((r) => r.host_id as string);
  }

  macInUse(networkId: string, mac: string): boolean {
    return !!this.one('SELECT 1 FROM ports WHERE network_id = ? AND mac_address = ?', networkId, mac);
  }

  portsUsingSubnet(subnetId: string): string[] {
    return this.all('SELECT DISTINCT port_id FROM ip_allocations WHERE subnet_id = ?', subnetId).map((r) => r.port_id as string);
  }

  setFixedIps(portId: string, networkId: string, ips: FixedIp[]): void {
    this.run('DELETE FROM ip_allocations WHERE port_id = ?', portId);
    const ins = this.db.prepare('INSERT INTO ip_allocations (port_id, subnet_id, network_id, ip_address, seq) VALUES (?, ?, ?, ?, ?)');
    ips.forEach((ip, i) => ins.run(portId, ip.subnet_id, networkId, ip.ip_address, i));
  }

  setPairs(portId: string, pairs: AddressPair[]): void {
    this.run('DELETE FROM allowed_address_pairs WHERE port_id = ?', portId);
    const ins = this.db.prepare('INSERT INTO allowed_address_pairs (port_id, mac_address, ip_address) VALUES (?, ?, ?)');
    for (const p of pairs) ins.run(portId, p.mac_address, p.ip_address);
  }

  setPortGroups(portId: string, groups: string[]): void {
    this.run('DELETE FROM port_security_groups WHERE port_id = ?', portId);
    const ins = this.db.prepare('INSERT INTO port_security_groups (port_id, security_group_id) VALUES (?, ?)');
    for (const g of groups) ins.run(portId, g);
  }

  // ---------------------------------------------------------------- security groups and rules

  private groups(where: string, ...params: unknown[]): SecurityGroup[] {
    return this.all(`SELECT g.*, ${STD_COLUMNS} FROM security_groups g JOIN standard_attrs s ON s.id = g.std_id ${where}`, ...params)
      .map((r) => ({ ...std(r), id: r.id as string, project_id: r.project_id as string, name: r.name as string, stateful: !!r.stateful }));
  }

  group(id: string): SecurityGroup | undefined {
    return this.groups('WHERE g.id = ?', id)[0];
  }

  allGroups(): SecurityGroup[] {
    return this.groups('ORDER BY g.std_id');
  }

  defaultGroupId(projectId: string): string | undefined {
    return this.one('SELECT security_group_id FROM default_security_groups WHERE project_id = ?', projectId)?.security_group_id as string | undefined;
  }

  isDefaultGroup(id: string): boolean {
    return !!this.one('SELECT 1 FROM default_security_groups WHERE security_group_id = ?', id);
  }

  /** The allowed-address pairs of a group's members. */
  pairAddressesInGroup(id: string): string[] {
    return this.all(`SELECT a.ip_address FROM port_security_groups g JOIN allowed_address_pairs a ON a.port_id = g.port_id
      WHERE g.security_group_id = ?`, id).map((r) => r.ip_address as string);
  }

  /** Members of a group that hold allowed-address pairs (the only ones that can widen it). */
  pairHoldersInGroup(id: string): string[] {
    return this.all(`SELECT DISTINCT g.port_id FROM port_security_groups g JOIN allowed_address_pairs a ON a.port_id = g.port_id
      WHERE g.security_group_id = ?`, id).map((r) => r.port_id as string);
  }

  portsInGroup(id: string): string[] {
    return this.all('SELECT port_id FROM port_security_groups WHERE security_group_id = ?', id).map((r) => r.port_id as string);
  }

  private rules(where: string, ...params: unknown[]): Rule[] {
    return this.all(`SELECT r.*, ${STD_COLUMNS} FROM security_group_rules r JOIN standard_attrs s ON s.id = r.std_id ${where}`, ...params)
      .map((r) => ({
        ...std(r),
        id: r.id as string,
        project_id: r.project_id as string,
        security_group_id: r.security_group_id as string,
        direction: r.direction as Rule['direction'],
        ethertype: r.ethertype as Rule['ethertype'],
        protocol: r.protocol as string | null,
        port_range_min: r.port_range_min as number | null,
        port_range_max: r.port_range_max as number | null,
        remote_ip_prefix: r.remote_ip_prefix as string | null,
        remote_group_id: r.remote_group_id as string | null,
      }));
  }

  rule(id: string): Rule | undefined {
    return this.rules('WHERE r.id = ?', id)[0];
  }

  rulesOf(groupId: string): Rule[] {
    return this.rules('WHERE r.security_group_id = ? ORDER BY r.std_id', groupId);
  }

  rulesReferencing(groupId: string): Rule[] {
    return this.rules('WHERE r.remote_group_id = ? ORDER BY r.std_id', groupId);
  }

  allRules(): Rule[] {
    return this.rules('ORDER BY r.std_id');
  }

  insertRule(r: Omit<Rule, keyof StandardAttrs>, description: string | null): Rule {
    const stdId = this.newStd('securitygrouprules', description);
    this.run(
      `INSERT INTO security_group_rules (id, project_id, security_group_id, remote_group_id, direction, ethertype, protocol,
        port_range_min, port_range_max, remote_ip_prefix, std_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id, r.project_id, r.security_group_id, r.remote_group_id, r.direction, r.ethertype, r.protocol,
      r.port_range_min, r.port_range_max, r.remote_ip_prefix, stdId,
    );
    this.changed('security_group_rule', r.id, 'create');
    return this.rule(r.id)!;
  }
}

export const newId = (): string => randomUUID();
