/**
 * The SQLite schema as ordered migrations; PRAGMA user_version records how far
 * a database has come. standard_attrs uses a plain INTEGER PRIMARY KEY (no
 * AUTOINCREMENT) so ids are max+1, as Neutron's own table on SQLite.
 */
import type Database from 'better-sqlite3';

/** SQL, or a step that must look at the database first (tables made before they were migrations). */
export type Migration = string | ((db: Database.Database) => void);

const TOKEN_COLUMNS: Record<string, string> = {
  token_hash: 'TEXT PRIMARY KEY',
  principal: 'TEXT NOT NULL',
  issued_at: 'TEXT NOT NULL',
  expires_at: 'TEXT NOT NULL',
  methods: `TEXT NOT NULL DEFAULT '["password"]'`,
  audit_id: `TEXT NOT NULL DEFAULT ''`,
};

export const MIGRATIONS: Migration[] = [
  `
  CREATE TABLE standard_attrs (
    id INTEGER PRIMARY KEY,
    resource_type TEXT NOT NULL,
    description TEXT,
    revision_number INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE networks (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    admin_state_up INTEGER NOT NULL,
    shared INTEGER NOT NULL,
    port_security_enabled INTEGER NOT NULL,
    external INTEGER NOT NULL,
    mtu INTEGER NOT NULL,
    std_id INTEGER NOT NULL UNIQUE REFERENCES standard_attrs(id)
  );
  -- ML2 segments: each network gets one VXLAN segment (a standard-attribute resource of its own)
  CREATE TABLE network_segments (
    id TEXT PRIMARY KEY,
    network_id TEXT NOT NULL UNIQUE REFERENCES networks(id) ON DELETE CASCADE,
    network_type TEXT NOT NULL,
    segmentation_id INTEGER NOT NULL UNIQUE,
    std_id INTEGER NOT NULL UNIQUE REFERENCES standard_attrs(id)
  );
  CREATE TABLE subnets (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id),
    name TEXT NOT NULL,
    ip_version INTEGER NOT NULL,
    cidr TEXT NOT NULL,
    gateway_ip TEXT,
    allocation_pools TEXT NOT NULL,
    enable_dhcp INTEGER NOT NULL,
    dns_nameservers TEXT NOT NULL,
    host_routes TEXT NOT NULL,
    ipv6_ra_mode TEXT,
    ipv6_address_mode TEXT,
    std_id INTEGER NOT NULL UNIQUE REFERENCES standard_attrs(id)
  );
  CREATE INDEX subnets_network ON subnets(network_id);
  CREATE TABLE ports (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    network_id TEXT NOT NULL REFERENCES networks(id),
    name TEXT NOT NULL,
    mac_address TEXT NOT NULL,
    admin_state_up INTEGER NOT NULL,
    status TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device_owner TEXT NOT NULL,
    port_security_enabled INTEGER NOT NULL,
    host_id TEXT NOT NULL,
    vnic_type TEXT NOT NULL,
    profile TEXT NOT NULL,
    std_id INTEGER NOT NULL UNIQUE REFERENCES standard_attrs(id),
    UNIQUE (network_id, mac_address)
  );
  CREATE INDEX ports_host ON ports(host_id);
  CREATE TABLE ip_allocations (
    port_id TEXT NOT NULL REFERENCES ports(id) ON DELETE CASCADE,
    subnet_id TEXT NOT NULL REFERENCES subnets(id),
    network_id TEXT NOT NULL,
    ip_address TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (subnet_id, ip_address)
  );
  CREATE INDEX ip_allocations_port ON ip_allocations(port_id);
  CREATE TABLE allowed_address_pairs (
    port_id TEXT NOT NULL REFERENCES ports(id) ON DELETE CASCADE,
    mac_address TEXT NOT NULL,
    ip_address TEXT NOT NULL,
    PRIMARY KEY (port_id, mac_address, ip_address)
  );
  CREATE TABLE security_groups (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    stateful INTEGER NOT NULL,
    std_id INTEGER NOT NULL UNIQUE REFERENCES standard_attrs(id)
  );
  CREATE TABLE default_security_groups (
    project_id TEXT PRIMARY KEY,
    security_group_id TEXT NOT NULL UNIQUE REFERENCES security_groups(id) ON DELETE CASCADE
  );
  CREATE TABLE security_group_rules (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    security_group_id TEXT NOT NULL REFERENCES security_groups(id) ON DELETE CASCADE,
    remote_group_id TEXT REFERENCES security_groups(id) ON DELETE CASCADE,
    direction TEXT NOT NULL,
    ethertype TEXT NOT NULL,
    protocol TEXT,
    port_range_min INTEGER,
    port_range_max INTEGER,
    remote_ip_prefix TEXT,
    std_id INTEGER NOT NULL UNIQUE REFERENCES standard_attrs(id)
  );
  CREATE INDEX rules_group ON security_group_rules(security_group_id);
  CREATE INDEX rules_remote ON security_group_rules(remote_group_id);
  CREATE TABLE port_security_groups (
    port_id TEXT NOT NULL REFERENCES ports(id) ON DELETE CASCADE,
    security_group_id TEXT NOT NULL REFERENCES security_groups(id),
    PRIMARY KEY (port_id, security_group_id)
  );
  CREATE INDEX port_sgs_group ON port_security_groups(security_group_id);
  -- every write names what it changed; agents and the policy index follow this log
  CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    resource TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    action TEXT NOT NULL
  );
  ${['networks', 'network_segments', 'subnets', 'ports', 'security_groups', 'security_group_rules']
    .map((t) => `CREATE TRIGGER ${t}_std AFTER DELETE ON ${t} BEGIN DELETE FROM standard_attrs WHERE id = OLD.std_id; END;`)
    .join('\n  ')}
  `,
  `
  -- compute nodes known to the data plane, with their tunnel (VXLAN underlay) address
  CREATE TABLE agents (
    host TEXT PRIMARY KEY,
    tunnel_ip TEXT NOT NULL UNIQUE
  );
  `,
  // Keystone tokens (a hash of the secret) and the analysis API's per-view change numbers; servers before
  // version 3 made these tables themselves, tokens at first without methods and audit_id
  (db) => {
    const columns = new Set((db.prepare('PRAGMA table_info(tokens)').all() as { name: string }[]).map((c) => c.name));
    if (!columns.size) {
      db.exec(`CREATE TABLE tokens (${Object.entries(TOKEN_COLUMNS).map(([c, t]) => `${c} ${t}`).join(', ')})`);
    } else {
      for (const [c, t] of Object.entries(TOKEN_COLUMNS)) if (!columns.has(c)) db.exec(`ALTER TABLE tokens ADD COLUMN ${c} ${t}`);
    }
    db.exec(`CREATE INDEX IF NOT EXISTS tokens_expiry ON tokens(expires_at);
      CREATE TABLE IF NOT EXISTS view_versions (view TEXT PRIMARY KEY, version INTEGER NOT NULL, digest TEXT NOT NULL)`);
  },
  // the group of a rule change (agents read only the groups that changed); rules still there name theirs
  `
  ALTER TABLE changes ADD COLUMN parent_id TEXT;
  UPDATE changes SET parent_id = (SELECT security_group_id FROM security_group_rules r WHERE r.id = changes.resource_id)
    WHERE resource = 'security_group_rule';
  `,
  // standard-attr-tag: a resource's tags, on its standard attributes (deleted with them)
  `
  CREATE TABLE tags (
    std_id INTEGER NOT NULL REFERENCES standard_attrs(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (std_id, tag)
  );
  `,
  // address groups (Neutron 21's address-group extension) and the rules that name one as their remote;
  // a group a rule names cannot be deleted (no cascade: the API refuses first)
  `
  CREATE TABLE address_groups (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    std_id INTEGER NOT NULL UNIQUE REFERENCES standard_attrs(id)
  );
  CREATE TABLE address_group_addresses (
    address_group_id TEXT NOT NULL REFERENCES address_groups(id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    PRIMARY KEY (address_group_id, address)
  );
  CREATE TRIGGER address_groups_std AFTER DELETE ON address_groups BEGIN DELETE FROM standard_attrs WHERE id = OLD.std_id; END;
  ALTER TABLE security_group_rules ADD COLUMN remote_address_group_id TEXT REFERENCES address_groups(id);
  CREATE INDEX rules_remote_address_group ON security_group_rules(remote_address_group_id);
  `,
  // RBAC policies on security groups (Neutron's securitygrouprbacs): they go with their group
  `
  CREATE TABLE security_group_rbacs (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    object_id TEXT NOT NULL REFERENCES security_groups(id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    target_project TEXT NOT NULL,
    UNIQUE (target_project, object_id, action)
  );
  CREATE INDEX security_group_rbacs_object ON security_group_rbacs(object_id);
  `,
  // Neutron's quotas: the limits admins set per project and resource (rowid: the order they were first set)
  `
  CREATE TABLE quotas (
    project_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    "limit" INTEGER NOT NULL,
    PRIMARY KEY (project_id, resource)
  );
  -- each create counts its project's rows of the resource
  ${['networks', 'subnets', 'ports', 'security_groups', 'security_group_rules']
    .map((t) => `CREATE INDEX IF NOT EXISTS ${t}_project ON ${t}(project_id);`)
    .join('\n  ')}
  `,
];
