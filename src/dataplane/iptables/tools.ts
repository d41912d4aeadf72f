/** The iptables backends a compute node can use, and their tools' names. */
import { type Family } from '../../policy/ir.js';

export type IptablesBackend = 'nft' | 'legacy';
export const BACKENDS: IptablesBackend[] = ['nft', 'legacy'];

/** iptables-nft, ip6tables-legacy-save, iptables-nft-restore, …: one backend's tool for one family. */
export const iptablesTool = (backend: IptablesBackend, family: Family, verb?: 'save' | 'restore') =>
  `${family === 'IPv4' ? 'iptables' : 'ip6tables'}-${backend}${verb ? `-${verb}` : ''}`;
