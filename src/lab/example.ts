/**
 * `portsec serve --example NAME`: a lab's cloud created through the API of a fresh server — its
 * networks, groups, rules and ports, without instances — so the console and the analyzer have
 * something to show on a first run. The labs (labs/*.yaml) are the one definition of each cloud.
 */
import { type NeutronClient } from './client.js';
import { createNetworksAndGroups, createPort } from './lab.js';
import { loadLab } from './spec.js';

/** Each example and the labs it is made of. */
export const EXAMPLES = {
  // the NAT server and its pitfall (0.0.0.0/0 in group ssh, which proxy admits), beside a keepalived VIP pair
  seed: ['seed', 'vip'],
} as const satisfies Record<string, readonly string[]>;

export type ExampleName = keyof typeof EXAMPLES;

export interface ExampleSummary {
  labs: readonly string[];
  networks: number;
  groups: number;
  ports: number;
}

export async function createExample(name: ExampleName, client: NeutronClient): Promise<ExampleSummary> {
  const summary: ExampleSummary = { labs: EXAMPLES[name], networks: 0, groups: 0, ports: 0 };
  for (const spec of EXAMPLES[name].map(loadLab)) {
    const built = await createNetworksAndGroups(spec, client);
    for (const inst of spec.instances) {
      for (const i of inst.ports.keys()) await createPort(client, built, inst, i);
      summary.ports += inst.ports.length;
    }
    summary.networks += spec.networks.length;
    summary.groups += spec.groups.length;
  }
  return summary;
}
