/** The OVN backend's registry entry (backends/index.ts). */
import { type BackendEntry } from '../contract.js';
import { type Topology } from '../../policy/topology.js';
import { AGENT_STATES, createOvnNorthbound, type OvnNorthbound } from './backend.js';
import { FORMATS, summary } from './formats.js';
import { ovnProtocol } from './protocol.js';

export const ENTRY = {
  agentStates: AGENT_STATES,
  create: (t: Topology, agentState?: string) => createOvnNorthbound(t, agentState),
  matchedProtocol: ovnProtocol,
  formats: FORMATS,
  summary,
} satisfies BackendEntry<OvnNorthbound>;
