/**
 * `portsec demo`: the seed's four scenarios, built with `lab` on a portsec of
 * its own (temporary database, agents on) and checked with real packets. Every
 * step says what it proves and whether it held.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { run } from '../dataplane/exec.js';
import { NeutronClient } from './client.js';
import { instanceDir, labDown, labUp } from './lab.js';
import { connect } from './probes.js';
import { type LabSpec, loadLab } from './spec.js';


export interface StepResult { claim: string; ok: boolean; detail: string }

type Check = () => Promise<[boolean, string]>;

/** Polls a probe until it answers `want` (packets need the agent's next tick). */
async function answers(probe: () => string, want: string, ms = 6000): Promise<[boolean, string]> {
  const end = Date.now() + ms;
  let got = probe();
  while (got !== want && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    got = probe();
  }
  return [got === want, got];
}

export class Demo {
  readonly results: StepResult[] = [];

  constructor(private readonly client: NeutronClient, private readonly url: string, private readonly print: (line: string) => void) {}

  async step(claim: string, check: Check): Promise<void> {
    const [ok, detail] = await check().catch((e: Error): [boolean, string] => [false, e.message]);
    this.results.push({ claim, ok, detail });
    this.print(`  ${ok ? 'PASS' : 'FAIL'}  ${claim}${ok ? '' : ` (got: ${detail})`}`);
  }

  private async port(name: string): Promise<any> {
    return (await this.client.call('GET', `ports?name=${name}`)).ports[0];
  }

  private async setPort(name: string, body: Record<string, unknown>): Promise<void> {
    await this.client.call('PUT', `ports/${(await this.port(name)).id}`, { port: body });
  }

  private async group(name: string): Promise<string> {
    return (await this.client.call('GET', `security-groups?name=${name}`)).security_groups[0].id;
  }

  /** The seed's own command, through the real neutron CLI when it is installed (asynchronously: the API may run in this process). */
  private async neutronCli(args: string[]): Promise<boolean> {
    try {
      await promisify(execFile)('neutron', args, { env: { ...process.env, OS_AUTH_TYPE: 'none', OS_ENDPOINT: `${this.url}/` } });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async antiSpoofing(): Promise<void> {
    this.print('1. Anti-spoofing and allowed address pairs');
    const send = () => connect('ps-vm-port1', '10.1.1.20', 8080, '10.1.1.2', 800);
    await this.step('the instance reaches the server from its fixed IP', () => answers(() => connect('ps-vm-port1', '10.1.1.20', 8080), 'server peer=10.1.1.10'));
    await this.step('traffic from its secondary address 10.1.1.2 is dropped by the anti-spoofing chain', () => answers(send, 'timeout'));
    const viaCli = await this.neutronCli(['port-update', 'port1-eth0', '--allowed-address-pairs', 'type=dict', 'list=true', 'ip_address=10.1.1.2']);
    if (!viaCli) await this.setPort('port1-eth0', { allowed_address_pairs: [{ ip_address: '10.1.1.2' }] });
    await this.step(`with the pair (${viaCli ? 'neutron port-update … ip_address=10.1.1.2' : 'API'}) it passes`, () => answers(send, 'server peer=10.1.1.2'));
    const cleared = await this.neutronCli(['port-update', 'port1-eth0', '--allowed-address-pairs', '']);
    if (!cleared) await this.setPort('port1-eth0', { allowed_address_pairs: [] });
    await this.step(`pairs cleared (${cleared ? "neutron port-update … --allowed-address-pairs ''" : 'API'}): dropped again`, () => answers(send, 'timeout'));
  }

  async vipRedundancy(spec: LabSpec): Promise<void> {
    this.print('2. VIP redundancy with keepalived (VIP 10.1.1.2 a pair on both ports, VRRP from remote group vip)');
    const vip = () => connect('ps-vm-client', '10.1.1.2', 8080, undefined, 500);
    await this.step('the client reaches the VIP on the master (vipa)', () => answers(vip, 'vipa peer=10.1.1.13', 15_000));
    const vrrp = (await this.client.call('GET', `security-group-rules?security_group_id=${await this.group('vip')}&protocol=112`)).security_group_rules[0];
    await this.client.call('DELETE', `security-group-rules/${vrrp.id}`);
    const holdsVip = (vm: string) => run(['ip', '-4', 'addr', 'show', 'dev', 'eth0'], { ns: `ps-vm-${vm}` }).includes('10.1.1.2/');
    await this.step('without the VRRP rule the adverts are dropped: both instances hold the VIP (split brain)', () =>
      answers(() => (holdsVip('vipa') && holdsVip('vipb') ? 'both' : 'one'), 'both', 15_000));
    await this.client.call('POST', 'security-group-rules', { security_group_rule: { security_group_id: vrrp.security_group_id, direction: 'ingress', protocol: '112', remote_group_id: vrrp.remote_group_id } });
    await this.step('with the rule back, one master again', () => answers(() => (holdsVip('vipa') && !holdsVip('vipb') ? 'vipa' : 'not yet'), 'vipa', 15_000));
    await this.step('the client reaches the VIP on vipa', () => answers(vip, 'vipa peer=10.1.1.13', 15_000));
    const started = Date.now();
    process.kill(Number(readFileSync(join(instanceDir(spec, 'vipa'), 'keepalived.pid'), 'utf8').trim()), 'SIGTERM');
    await this.step('after the master\'s keepalived stops, the backup (vipb) serves the VIP', async () => {
      const [ok, got] = await answers(vip, 'vipb peer=10.1.1.13', 15_000);
      return [ok, ok ? `${Date.now() - started} ms` : got];
    });
    this.print(`        failover took ${this.results[this.results.length - 1].detail}`);
    for (const p of ['vipa-eth0', 'vipb-eth0']) await this.setPort(p, { allowed_address_pairs: [] });
    await this.step('without the pair the VIP breaks: the master\'s replies from 10.1.1.2 die in its anti-spoofing chain', () => answers(vip, 'timeout'));
    for (const p of ['vipa-eth0', 'vipb-eth0']) await this.setPort(p, { allowed_address_pairs: [{ ip_address: '10.1.1.2' }] });
    await this.step('with the pairs back the VIP answers again', () => answers(vip, 'vipb peer=10.1.1.13', 15_000));
  }

  async natServer(): Promise<void> {
    this.print('3. NAT server (MASQUERADE to example-service 200.200.200.200)');
    const internet = () => connect('ps-vm-int', '200.200.200.200', 80, undefined, 800);
    await this.step('with pair 0.0.0.0/0 on its inner port the internal server reaches 200.200.200.200', () => answers(internet, 'inet peer=100.100.100.100'));
    await this.setPort('nat-eth1', { allowed_address_pairs: [] });
    await this.step('without it the replies (source 200.200.200.200) are dropped by the NAT server\'s anti-spoofing chain', () => answers(internet, 'timeout'));
    await this.setPort('nat-eth1', { allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] });
    await this.step('with the pair back NAT works again', () => answers(internet, 'inet peer=100.100.100.100'));
  }

  async pitfall(): Promise<void> {
    this.print('4. The pitfall: proxy admits tcp/80 "from remote group ssh", and the NAT server (pair 0.0.0.0/0) is in ssh');
    const fromOther = () => connect('ps-vm-other', '10.10.10.30', 80, undefined, 800);
    const viaForward = () => connect('ps-ext-inet', '100.100.100.100', 8080, undefined, 800);
    const fromMember = () => connect('ps-vm-int', '10.10.10.30', 80, undefined, 800);
    await this.step('a host outside ssh (10.10.10.40) opens tcp/80 on the proxy', () => answers(fromOther, 'proxy peer=10.10.10.40'));
    await this.step('200.200.200.200, port-forwarded by the NAT server, opens tcp/80 on the proxy', () => answers(viaForward, 'proxy peer=200.200.200.200'));
    const [nat, natfwd, natpf] = [await this.group('nat'), await this.group('natfwd'), await this.group('natpf')];
    await this.setPort('nat-eth0', { security_groups: [nat, natpf] });
    await this.setPort('nat-eth1', { security_groups: [nat, natfwd] });
    this.print('        fix: the NAT server\'s ports move from ssh to group nat (same rules)');
    await this.step('the host outside ssh is blocked', () => answers(fromOther, 'timeout'));
    await this.step('200.200.200.200 through the port-forward is blocked', () => answers(viaForward, 'timeout'));
    await this.step('ssh members still reach the proxy', () => answers(fromMember, 'proxy peer=10.10.10.20'));
    await this.step('NAT still works', () => answers(() => connect('ps-vm-int', '200.200.200.200', 80, undefined, 800), 'inet peer=100.100.100.100'));
  }
}

/** Runs every scenario on its lab, taking each lab down again whatever happens. */
export async function runDemo(client: NeutronClient, url: string, print: (line: string) => void): Promise<StepResult[]> {
  const demo = new Demo(client, url, print);
  const scenarios: [string, (spec: LabSpec) => Promise<void>][] = [
    ['antispoof', () => demo.antiSpoofing()],
    ['vip', (spec) => demo.vipRedundancy(spec)],
    ['seed', async () => {
      await demo.natServer();
      await demo.pitfall();
    }],
  ];
  for (const [name, scenario] of scenarios) {
    const spec = loadLab(name);
    try {
      await labUp(spec, client, () => {});
      await scenario(spec);
    } catch (e) {
      demo.results.push({ claim: `lab ${name}`, ok: false, detail: (e as Error).message });
      print(`  FAIL  lab ${name}: ${(e as Error).message}`);
    } finally {
      await labDown(spec, client, () => {}).catch((e: Error) => print(`  (lab ${name} down: ${e.message})`));
    }
  }
  return demo.results;
}
