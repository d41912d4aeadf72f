/**
 * The services a set of rules tells apart: each named protocol's port ranges cut at
 * every rule's bounds, its ICMP types (and codes), and one protocol none names. Within
 * one service every rule matches alike, so one flow answers for all of it: the diff
 * asks one per flow class, can-reach without --port one per service of the protocol.
 */
import { protocolKeyword } from '../model/protocols.js';
import { type Family, type PolicyRule } from '../policy/ir.js';
import { hasPorts, isIcmp, ruleProtocol } from './packet.js';

/** One service a flow class names: a protocol (null: one no rule names) and a destination port range or ICMP type and code. */
export interface Service {
  family: Family;
  protocol: number | null;
  /** ports: an inclusive range; ICMP: type (and code); other protocols: null */
  range: [number, number] | null;
  /** ICMP: the type stands for every type no rule names */
  otherTypes?: true;
  /** ICMP: any code but those another rule names for the type (OVN's nd_ra and the like take code 0 only) */
  otherCodes?: true;
  code: number | null;
}

export const PORT_MAX = 65535;
/** protocols without ports, tried in turn to stand for "a protocol no rule names" */
const UNNAMED_PROTOCOLS = [47, 50, 51, 89, 103, 115];

/** The services a set of rules tells apart for one family: each named protocol's port ranges cut at every rule's bounds, its ICMP types, and one protocol none names. */
export function services(family: Family, rules: readonly PolicyRule[]): Service[] {
  const named = new Map<number, PolicyRule[]>();
  let anyProtocol = false;
  for (const r of rules) {
    if (r.ethertype !== family) continue;
    const p = ruleProtocol(r.protocol);
    if (p === null) anyProtocol = true;
    else named.set(p, [...(named.get(p) ?? []), r]);
  }
  const out: Service[] = [];
  for (const [protocol, rs] of named) {
    if (hasPorts(protocol)) {
      const cuts = new Set([0, PORT_MAX + 1]);
      for (const r of rs) {
        if (r.portMin === null) continue;
        cuts.add(r.portMin);
        cuts.add((r.portMax ?? r.portMin) + 1);
      }
      const sorted = [...cuts].sort((a, b) => a - b);
      for (let i = 0; i + 1 < sorted.length; i++) out.push({ family, protocol, range: [sorted[i], sorted[i + 1] - 1], code: null });
    } else if (isIcmp(protocol)) {
      // the RA rule keeps its type in the source fields
      const types = new Map<string, [number, number | null]>();
      for (const r of rs) {
        const type = r.portMin ?? r.sourcePortMin;
        const code = r.portMin === null ? r.sourcePortMax : r.portMax;
        if (type !== null) types.set(`${type}/${code}`, [type, code]);
      }
      const coded = new Set([...types.values()].filter(([, code]) => code !== null).map(([type]) => type));
      for (const [type, code] of types.values()) out.push({ family, protocol, range: [type, type], code, ...(code === null && coded.has(type) && { otherCodes: true as const }) });
      const unnamed = Array.from({ length: 256 }, (_, t) => t).find((t) => ![...types.values()].some(([x]) => x === t));
      if (unnamed !== undefined) out.push({ family, protocol, range: [unnamed, unnamed], code: null, otherTypes: true });
    } else {
      out.push({ family, protocol, range: null, code: null });
    }
  }
  const unnamed = UNNAMED_PROTOCOLS.find((p) => !named.has(p));
  if (anyProtocol && unnamed !== undefined) out.push({ family, protocol: null, range: null, code: null });
  return out;
}

/** The protocol a service is asked with: its own, or one no rule names. */
export const askedProtocol = (s: Service, rules: readonly PolicyRule[]): number =>
  s.protocol ?? UNNAMED_PROTOCOLS.find((p) => !rules.some((r) => ruleProtocol(r.protocol) === p))!;

export function serviceWords(s: Service): { protocol: string; ports: string } {
  if (s.protocol === null) return { protocol: 'any', ports: 'any' };
  const protocol = protocolKeyword(s.protocol);
  if (!s.range) return { protocol, ports: 'any' };
  if (isIcmp(s.protocol)) return { protocol, ports: s.otherTypes ? 'other types' : `type ${s.range[0]}${s.code !== null ? ` code ${s.code}` : s.otherCodes ? ' other codes' : ''}` };
  return { protocol, ports: rangesText([s.range]) };
}

/** Port ranges as few as they make: "any", "80", "0-79, 82-65535". */
export function rangesText(ranges: [number, number][]): string {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  if (out.length === 1 && out[0][0] === 0 && out[0][1] === PORT_MAX) return 'any';
  return out.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)).join(', ');
}

