/** The text forms of a node's kernel state. */
import { ipsetMemberOrder } from './render.js';
import { type ChunkWriter, ipsetText, type KernelSource, type NodeState, saveText, writeIpsets, writeTables } from './state.js';

/** The fields of golden.py's `--format json` that describe the final kernel state. */
export function goldenJson(state: NodeState): { ipset_restore: string; iptables_save: { IPv4: string; IPv6: string } } {
  return {
    ipset_restore: ipsetText(state, ipsetMemberOrder),
    iptables_save: { IPv4: saveText(state, 'IPv4'), IPv6: saveText(state, 'IPv6') },
  };
}

/** `portsec compile --format iptables`: the ipset restore input, then the iptables-restore and ip6tables-restore inputs. */
export function writeRestorePayloads(node: KernelSource, w: ChunkWriter): void {
  w.push('# ipset restore -exist\n');
  writeIpsets(node.ipsets, ipsetMemberOrder, w);
  w.push('# iptables-restore\n');
  writeTables(node.tables('IPv4'), w);
  w.push('# ip6tables-restore\n');
  writeTables(node.tables('IPv6'), w);
  w.flush();
}
