/**
 * The agents `portsec serve` runs in-process: one per compute node that has
 * ports bound to it, started when the first port is bound there and synced on
 * every tick (each commit that logged changes, see cli/follow.ts) from the store's change log.
 */
import { type HostPolicy } from '../policy/ir.js';
import { type CompileOptions } from '../policy/topology.js';
import { type Store } from '../store/repository.js';
import { Agent } from './agent.js';
import { namespaceExists } from './netns.js';
import { type DataPlane, dataPlane } from './planes.js';

export interface AgentView {
  host: string;
  /** the store's last change the node follows */
  change: number;
  /** changes whenever the node's state may have (see Agent.version) */
  version: string;
  policy: HostPolicy;
}

export class AgentPool {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly store: Store, private readonly plane: DataPlane = dataPlane(), private readonly log: (msg: string) => void = () => {},
    private readonly options: Partial<CompileOptions> = {}) {}

  /** Starts agents for newly used hosts and applies every pending change; an agent's failure does not stop the others. */
  async tick(): Promise<void> {
    const hosts = await this.store.ports.boundHosts();
    // a node whose last port left needs no agent (removing the node itself is the operator's call)
    for (const host of this.agents.keys()) if (!hosts.includes(host)) this.agents.delete(host);
    for (const host of hosts) {
      if (this.agents.has(host)) continue;
      const agent = new Agent(this.store, host, this.plane, this.options);
      try {
        await agent.start();
        this.agents.set(host, agent);
        this.log(`agent ${host}: ${this.plane.kernel ? `compute node ${agent.ns}` : 'model node (in memory)'} converged`);
      } catch (e) {
        this.log(`agent ${host}: ${(e as Error).message}`);
      }
    }
    for (const [host, agent] of this.agents) {
      try {
        // a node removed under its agent (`lab down` between two labs) is built again from the store
        if (this.plane.kernel && !namespaceExists(agent.ns)) {
          await agent.start();
          this.log(`agent ${host}: compute node ${agent.ns} was gone: built and converged again`);
        }
        await agent.plumb();
        await agent.sync();
      } catch (e) {
        this.log(`agent ${host}: ${(e as Error).message}`);
      }
    }
  }

  get hosts(): string[] {
    return [...this.agents.keys()];
  }

  /** Each running agent's host, the store's last change it follows, and the IR it enforces. */
  views(): AgentView[] {
    // the IR is built when read: telling whether anything changed needs only the versions
    return [...this.agents].map(([host, agent]) => ({
      host, change: agent.change, version: agent.version, get policy() {
        return agent.policy;
      },
    }));
  }
}
