import type { Topology } from './topology-generator.mjs';

export type OvnTopology = Omit<Topology, 'options'> & { options: { driver: 'ovn' } };
export function ovnInput(topology: Topology): OvnTopology;
