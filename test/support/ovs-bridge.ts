/**
 * One golden-ovs fixture's compute node on a real Open vSwitch: br-int with
 * a dummy port per local port at the ofport the golden harness gave it, the
 * tunnel bridge's patch port, Neutron's own firewall flows and the part of
 * the OVS agent's br-int pipeline the firewall sits in.
 */
import { type TopologyPort } from '../../src/policy/topology.js';
import { type Topology } from '../golden/topology-generator.mjs';
import { type OvsSwitch } from './ovs-switch.js';

export const BRIDGE = 'br-int';
/**
 * Neutron's firewall driver asks ovs_lib for OpenFlow 1.0 to 1.4
 * (OVSFirewallDriver.REQUIRED_PROTOCOLS); ovs_lib then runs ovs-ofctl at the
 * highest it needs (`-O OpenFlow14`, ovs_lib.run_ofctl).
 */
export const OPENFLOW = 'OpenFlow14';
const PROTOCOLS = 'OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14';
/** patch-tun: where traffic from other nodes enters br-int, tagged with the network's local VLAN by br-tun */
export const TUNNEL_OFPORT = 60000;

/**
 * What the OVS agent installs on br-int around the firewall (br_int.py
 * `setup_default_table`, Neutron 21; table numbers from neutron_lib's
 * ovs_constants): frames with the dead VLAN 4095 dropped in table 0
 * (LOCAL_SWITCHING); everything else on to 59 (PACKET_RATE_LIMIT) and 60
 * (TRANSIENT_TABLE), where the firewall's own flows (priority 90 and 100)
 * take its ports' frames and the rest is switched NORMAL (priority 3). The
 * firewall writes table 94 (ACCEPTED_EGRESS_TRAFFIC_NORMAL_TABLE) itself.
 * Left out as irrelevant to a port's traffic: the canary table 23, the ARP
 * spoofing table 24 (unused by this firewall), the local-IP tables 30/31 and
 * the OpenFlow DHCP tables (enable_openflow_dhcp defaults to off).
 */
export const BASE_PIPELINE = [
  'table=0,priority=65535,vlan_tci=0x1fff/0x1fff,actions=drop',
  'table=0,priority=0,actions=resubmit(,59)',
  'table=59,priority=0,actions=resubmit(,60)',
  'table=60,priority=3,actions=NORMAL',
];

/**
 * port id -> (ofport, local VLAN) as the golden harness numbers them
 * (test/golden/neutron_harness/ovs_node.py `numbering`): ports from 1 in
 * order of first appearance, input ports then the events' ports, networks
 * from 1 in the order their first port appears. `checkNumbering` holds it
 * against the flows Neutron wrote.
 */
export function harnessNumbering(input: Pick<Topology, 'ports' | 'events'>): Map<string, { ofport: number; vlan: number }> {
  const ports = [...input.ports, ...(input.events ?? []).flatMap((e) => ('port' in e ? [e.port] : []))];
  const numbers = new Map<string, { ofport: number; vlan: number }>();
  const vlans = new Map<string, number>();
  for (const p of ports) {
    if (numbers.has(p.id)) continue;
    const net = p.network_id ?? '';
    if (!vlans.has(net)) vlans.set(net, vlans.size + 1);
    numbers.set(p.id, { ofport: numbers.size + 1, vlan: vlans.get(net)! });
  }
  return numbers;
}

/** Every `in_port=N` flow of table 60 sets reg5=N and reg6 to the port's VLAN: the numbering is the one Neutron's flows were made with. */
export function checkNumbering(flows: readonly string[], local: { ofport: number; vlan: number }[]): string[] {
  const byOfport = new Map(local.map((p) => [p.ofport, p.vlan]));
  const problems: string[] = [];
  for (const f of flows) {
    const m = /(?:^|,)table=60,in_port=(\d+),actions=set_field:(\d+)->reg5,set_field:(\d+)->reg6/.exec(f);
    if (!m) continue;
    const [ofport, reg5, vlan] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (reg5 !== ofport || byOfport.get(ofport) !== vlan) problems.push(`${f}: no local port with ofport ${ofport} on VLAN ${vlan}`);
  }
  return problems;
}

export interface LocalPort {
  port: TopologyPort;
  ofport: number;
  vlan: number;
}

/** The bridge afresh (ports tagged with their network's local VLAN, as the agent's `_bind_devices` tags them), the flows loaded; datapath port number by ofport. */
export async function loadBridge(ovs: OvsSwitch, local: LocalPort[], flows: readonly string[]): Promise<Map<number, number>> {
  const ports = local.flatMap((l) => {
    const name = `p${l.ofport}`;
    return ['--', 'add-port', BRIDGE, name, `tag=${l.vlan}`, '--', 'set', 'Interface', name, 'type=dummy', `ofport_request=${l.ofport}`];
  });
  await ovs.vsctl([
    '--if-exists', 'del-br', BRIDGE, '--', 'add-br', BRIDGE,
    '--', 'set', 'Bridge', BRIDGE, 'datapath_type=dummy', 'fail-mode=secure', `protocols=${PROTOCOLS}`,
    ...ports,
    '--', 'add-port', BRIDGE, 'patch-tun', '--', 'set', 'Interface', 'patch-tun', 'type=dummy', `ofport_request=${TUNNEL_OFPORT}`,
  ]);
  // replace, not add: a bridge re-added in the same transaction keeps its flow table
  await ovs.ofctl(BRIDGE, OPENFLOW, ['replace-flows', '-'], [...BASE_PIPELINE, ...flows].join('\n') + '\n');
  const loaded = (await ovs.ofctl(BRIDGE, OPENFLOW, ['dump-flows', '--no-stats'])).split('\n').filter((l) => l.includes('actions=')).length;
  if (loaded !== BASE_PIPELINE.length + flows.length) throw new Error(`${BRIDGE} holds ${loaded} flows, ${BASE_PIPELINE.length + flows.length} were added`);
  return datapathPorts(await ovs.unixctl.call('dpif/show', []));
}

/** `dpif/show`'s "name ofport/odp-port: (type)" lines of br-int. */
function datapathPorts(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of text.matchAll(/^\s+\S+ (\d+)\/(\d+):/gm)) out.set(Number(m[1]), Number(m[2]));
  return out;
}

/** The datapath ports a trace's packet leaves by: bare port numbers in any "Datapath actions:" line, nested actions aside. */
export function tracedOutputs(trace: string): Set<number> {
  const out = new Set<number>();
  for (const m of trace.matchAll(/^Datapath actions: (.*)$/gm)) {
    let actions = m[1];
    for (let prev = ''; prev !== actions;) [prev, actions] = [actions, actions.replace(/\([^()]*\)/g, '')];
    for (const a of actions.split(',')) if (/^\d+$/.test(a.trim())) out.add(Number(a.trim()));
  }
  return out;
}
