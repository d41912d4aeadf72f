// Types for steps-format.mjs.
export interface State {
  ipset_restore: string;
  iptables_save: { IPv4: string; IPv6: string };
}
export interface PackedSteps {
  lines: string[];
  steps: { ipset_restore: number[]; IPv4: number[]; IPv6: number[] }[];
}
export function fixtureText(head: Record<string, unknown>, states: State[]): string;
export function statesOf(packed: PackedSteps): State[];
