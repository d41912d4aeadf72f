/** The SQLite store: one database file, its repositories, and transactions on its one connection. */
import { type Repositories, type Store } from '../repository.js';
import { SqliteAddressGroups } from './address-groups.js';
import { type Exec, SqliteDb } from './database.js';
import { SqliteAgents, SqliteChanges, SqliteTokens, SqliteViewVersions } from './misc.js';
import { SqliteNetworks } from './networks.js';
import { SqlitePorts } from './ports.js';
import { SqliteRbacPolicies } from './rbac-policies.js';
import { SqliteQuotas } from './quotas.js';
import { type Sql } from './rows.js';
import { SqliteRules } from './rules.js';
import { SqliteSecurityGroups } from './security-groups.js';
import { SqliteSubnets } from './subnets.js';
import { SqliteTags } from './tags.js';

function repositories(sql: Sql): Repositories {
  return {
    networks: new SqliteNetworks(sql),
    subnets: new SqliteSubnets(sql),
    ports: new SqlitePorts(sql),
    securityGroups: new SqliteSecurityGroups(sql),
    rules: new SqliteRules(sql),
    addressGroups: new SqliteAddressGroups(sql),
    rbacPolicies: new SqliteRbacPolicies(sql),
    tokens: new SqliteTokens(sql),
    changes: new SqliteChanges(sql),
    agents: new SqliteAgents(sql),
    views: new SqliteViewVersions(sql),
    tags: new SqliteTags(sql),
    quotas: new SqliteQuotas(sql),
  };
}

/** Inside a transaction, steps run at once: the transaction holds the connection. */
const inTransaction: Exec = async (step) => step();

export class SqliteStore implements Store {
  readonly db: SqliteDb;
  readonly name: string;
  private readonly tx: Repositories;
  readonly networks: Repositories['networks'];
  readonly subnets: Repositories['subnets'];
  readonly ports: Repositories['ports'];
  readonly securityGroups: Repositories['securityGroups'];
  readonly rules: Repositories['rules'];
  readonly addressGroups: Repositories['addressGroups'];
  readonly rbacPolicies: Repositories['rbacPolicies'];
  readonly tokens: Repositories['tokens'];
  readonly changes: Repositories['changes'];
  readonly agents: Repositories['agents'];
  readonly views: Repositories['views'];
  readonly tags: Repositories['tags'];
  readonly quotas: Repositories['quotas'];

  constructor(file: string) {
    this.db = new SqliteDb(file);
    this.name = file;
    ({
      networks: this.networks, subnets: this.subnets, ports: this.ports, securityGroups: this.securityGroups, rules: this.rules, addressGroups: this.addressGroups, rbacPolicies: this.rbacPolicies,
      tokens: this.tokens, changes: this.changes, agents: this.agents, views: this.views, tags: this.tags, quotas: this.quotas,
    } = repositories({ db: this.db, exec: this.db.exec }));
    this.tx = repositories({ db: this.db, exec: inTransaction });
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction('IMMEDIATE', () => fn(this.tx));
  }

  snapshot<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction('DEFERRED', () => fn(this.tx));
  }

  onCommit(listener: (seq: number) => void): () => void {
    return this.db.committed.listen(listener);
  }

  problems(): Promise<string[]> {
    return this.db.exec(() => [
      // the delete triggers (migration 1) take a resource's standard attributes with it
      ...this.db.all(`SELECT id, resource_type FROM standard_attrs WHERE id NOT IN (SELECT std_id FROM networks UNION SELECT std_id FROM network_segments
        UNION SELECT std_id FROM subnets UNION SELECT std_id FROM ports UNION SELECT std_id FROM security_groups UNION SELECT std_id FROM security_group_rules
        UNION SELECT std_id FROM address_groups)`)
        .map((r) => `standard attributes ${r.id} (${r.resource_type}) belong to nothing`),
      ...(this.db.raw.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[])
        .map((r) => `${r.table} row ${r.rowid} names a missing ${r.parent} row`),
    ]);
  }

  async close(): Promise<void> {
    // after whatever is under way
    await this.db.exec(() => this.db.close());
  }
}
