/** How the kernel prints back what the iptables backend writes (iptables-save, ipset save): its spelling of our text. */
import { formatNetwork, parseCidr } from '../../model/addresses.js';

function canonicalPrefix(text: string): string {
  const c = parseCidr(text, true);
  return c ? formatNetwork(c) : text;
}

/** A rule as iptables-save prints it back: no /0 source or destination, no host bits, lower-case MACs. */
export function kernelRule(rule: string): string {
  return rule
    .replace(/ ?-[sd] (0\.0\.0\.0|::)\/0(?= |$)/g, '')
    .replace(/(--mac-source) ([0-9A-Fa-f:]+)/g, (_, f: string, m: string) => `${f} ${m.toLowerCase()}`)
    .replace(/(-[sd]) ([0-9a-fA-F.:]+\/\d+)(?= |$)/g, (_, f: string, c: string) => `${f} ${canonicalPrefix(c)}`)
    .trim();
}

/** An ipset member as `ipset save` prints it back. */
export function kernelMember(member: string): string {
  return canonicalPrefix(member).replace(/\/(32|128)$/, '');
}
