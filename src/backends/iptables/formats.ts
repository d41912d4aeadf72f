/** What the iptables backend prints: `portsec compile`'s formats, and a delta in one line. */
import { type OutputFormat } from '../contract.js';
import { type Delta } from './delta.js';
import { goldenJson, writeRestorePayloads } from './golden-json.js';
import { device } from './naming.js';
import { type IptablesNode } from './backend.js';
import { ChunkWriter } from './state.js';
import { type ZonedPolicy } from './zones.js';

/** The IR as plain JSON: ports with their allow-lists and rules (and this backend's device and tracking), remote groups with their members. */
function irJson(policy: ZonedPolicy): Record<string, unknown> {
  return {
    options: policy.options,
    ports: policy.ports.map(({ port, kind, tracking, zone, spoof, rules }) => ({ id: port.id, device: device(policy.options.driver, port), kind, tracking, zone, spoof, rules })),
    remote_groups: Object.fromEntries(policy.remoteGroups),
  };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 1)}\n`;

export const FORMATS: Record<string, OutputFormat<IptablesNode>> = {
  // the restore payloads (25 MB for a 3,000-port node) go out in chunks as they are rendered
  iptables: { help: 'ipset and iptables-restore payloads', write: (node, print) => writeRestorePayloads(node, new ChunkWriter(print)) },
  'golden-json': { help: 'golden.py\'s ipset_restore and iptables_save fields', write: (node, print) => print(json(goldenJson(node.state))) },
  ir: { help: 'each local port\'s effective policy (allow-list, rules, remote-group members) as JSON', write: (node, print) => print(json(irJson(node.policy))) },
};

export function summary(d: Delta): string {
  const chains = Object.values(d.iptables).flatMap((t) => Object.values(t).flatMap((x) => [...x.write.keys(), ...x.remove]));
  return `${new Set(chains).size} chains, ${d.addMembers.size + d.delMembers.size + d.createSets.size + d.destroySets.length} ipset changes`;
}
