/** The openvswitch backend's registry entry (backends/index.ts). */
import { type BackendEntry } from '../contract.js';
import { type Topology } from '../../policy/topology.js';
import { AGENT_STATES, createOvsNode, type OvsNode } from './backend.js';
import { FORMATS, summary } from './formats.js';
import { matchedProtocol } from './rules.js';

export const ENTRY = {
  agentStates: AGENT_STATES,
  create: (t: Topology, agentState?: string) => createOvsNode(t, agentState),
  matchedProtocol,
  formats: FORMATS,
  summary,
} satisfies BackendEntry<OvsNode>;
