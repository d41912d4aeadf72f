/** What the openvswitch backend prints: `portsec compile`'s formats, and a delta in one line. */
import { type OutputFormat } from '../contract.js';
import { type OvsDelta, type OvsNode, type OvsState } from './backend.js';

/** A flow as ovs_lib hands it to `ovs-ofctl add-flows`: the agent's cookie is its last match key. */
export const withCookie = (flow: string, cookie: number) => flow.replace(',actions=', `,cookie=${cookie},actions=`);

/** The state as neutron_ovs_driver.py dumps it (the golden-ovs fixtures' `initial` and `final`). */
export const goldenJson = (s: OvsState): { flows: string[] } => ({ flows: s.flows });

export const FORMATS: Record<string, OutputFormat<OvsNode>> = {
  flows: {
    help: 'the flows on br-int as `ovs-ofctl add-flows` input, one a line with the agent\'s cookie',
    write: (node, print) => {
      const { flows, cookie } = node.state;
      print(flows.map((f) => `${withCookie(f, cookie)}\n`).join(''));
    },
  },
  'golden-json': {
    help: 'neutron_ovs_driver.py\'s {"flows": [...]} (no cookie, sorted by table, priority, text)',
    write: (node, print) => print(`${JSON.stringify(goldenJson(node.state), null, 1)}\n`),
  },
};

export const summary = (d: OvsDelta): string => `${d.add.length} flows added or replaced, ${d.remove.length} removed`;
