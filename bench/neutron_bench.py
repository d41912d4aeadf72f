#!/usr/bin/python3
"""Time Neutron 21's real iptables firewall driver (test/golden's harness)
on synthetic compute nodes: the figures bench/compile and bench/apply set
beside portsec's.

    /usr/bin/python3 bench/neutron_bench.py [--sizes 100,1000,3000] [--ipset on,off]
        [--driver linuxbridge|ovs_hybrid] [--updates-at 1000] [--no-updates] [--json]
    /usr/bin/python3 bench/neutron_bench.py --sizes N --ipset on --write-input FILE

The node: 20 groups x 5 rules, half of all rules naming a remote group (2 of
5 in even groups, 3 of 5 in odd ones); N local IPv4 ports, even ones in 1
group with 1 address pair, odd ones in 2 groups with 2 pairs, every 50th
pair a /28.

* initial: the agent's first sync of all N ports (prepare_port_filter for
  each, one deferred apply) against an empty host; the iptables payload is
  built and counted but not applied.
* updates (at --updates-at ports, after an applied initial sync): port 1
  gains the pair 203.0.113.7 (a port_update), then a port on another host
  joins group 0 (a member update).

neutron_s is Neutron's own Python time: wall time less the emulated server
(or push cache) and less the command emulator. Each measurement runs in a
fresh process (peak memory is per run). --json ends the output with
{"initial": {"N/on": {...}}, "updates": {"N/on": {"aap_change": {...},
"member_change": {...}}}}.
"""

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'test', 'golden'))
import neutron_harness  # noqa: E402

GROUPS = 20


def group_id(i):
    return '%08x-5e00-4000-8000-%012d' % (i + 1, i)


def port_id(k):
    # the first 11 characters differ (linuxbridge tap names)
    return '%08x-%02x00-4000-8000-%012x' % (k + 1, (k + 1) % 256, k + 1)


def _rules(i):
    tcp = {'direction': 'ingress', 'ethertype': 'IPv4', 'protocol': 'tcp'}
    udp = dict(tcp, protocol='udp', port_range_min=5000, port_range_max=5100)
    return [
        dict(tcp, port_range_min=22, port_range_max=22,
             remote_ip_prefix='10.0.0.0/8'),
        dict(tcp, port_range_min=8000 + i, port_range_max=8000 + i,
             remote_group_id=group_id((i * 7 + 3) % GROUPS)),
        dict(udp, remote_group_id=group_id(i)) if i % 2 else
        dict(udp, remote_ip_prefix='192.168.0.0/16'),
        {'direction': 'ingress', 'ethertype': 'IPv4', 'protocol': 'icmp',
         'remote_group_id': group_id(i)},
        {'direction': 'egress', 'ethertype': 'IPv4'},
    ]


def synthetic(n, driver='linuxbridge', ipset=True):
    groups = [{'id': group_id(i), 'name': 'sg%d' % i, 'stateful': True,
               'security_group_rules': [
                   dict(r, id='%s-r%d' % (group_id(i), j))
                   for j, r in enumerate(_rules(i))]}
              for i in range(GROUPS)]
    first_ip = ipaddress.IPv4Address('10.0.0.10')
    first_pair = ipaddress.IPv4Address('172.16.0.16')
    ports = []
    for k in range(n):
        sgs = [group_id(k % GROUPS)]
        pairs = [{'ip_address': str(first_pair + 32 * k)}]
        if k % 2:
            second = group_id((k // 2 + 5) % GROUPS)
            if second not in sgs:
                sgs.append(second)
            pair = first_pair + 32 * k + 16
            pairs.append({'ip_address': '%s/28' % pair if k % 50 == 1
                          else str(pair)})
        ports.append({
            'id': port_id(k), 'network_id':
                '4e000000-0000-4000-8000-%012d' % (k % 4),
            'mac_address': 'fa:16:3e:%02x:%02x:%02x' % (
                (k >> 16) & 255, (k >> 8) & 255, k & 255),
            'fixed_ips': [{'ip_address': str(first_ip + k),
                           'subnet_id': 'subnet-bench'}],
            'allowed_address_pairs': pairs, 'security_groups': sgs,
            'port_security_enabled': True})
    return {'options': {'driver': driver, 'enable_ipset': ipset},
            'security_groups': groups, 'ports': ports}


# ---------------------------------------------------------------------------
# one measurement (child process)
# ---------------------------------------------------------------------------

def _status(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024.0   # MB
    return 0.0


def _accumulate(obj, name, totals):
    original = getattr(obj, name)
    totals[name] = 0.0

    def timed(*a, **kw):
        t0 = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            totals[name] += time.perf_counter() - t0
    setattr(obj, name, timed)


class Measured(object):
    """A Node whose server side, IptablesManager apply and re-filtered
    ports are accounted for."""

    def __init__(self, data):
        from neutron_harness.node import Node
        self.node = Node(data)
        self.totals = {}
        self.refreshed = 0
        _accumulate(self.node.source, 'security_group_info_for_devices',
                    self.totals)
        _accumulate(self.node.firewall.iptables, '_apply', self.totals)
        update = self.node.firewall.update_port_filter

        def counted(port):
            self.refreshed += 1
            return update(port)
        self.node.firewall.update_port_filter = counted

    def time(self, fn):
        host, totals = self.node.host, self.totals
        before = dict(totals, emulator=host.seconds, log=len(host.log),
                      refreshed=self.refreshed)
        t0 = time.perf_counter()
        fn()
        wall = time.perf_counter() - t0
        server = totals['security_group_info_for_devices'] - \
            before['security_group_info_for_devices']
        emulator = host.seconds - before['emulator']
        log = host.log[before['log']:]
        restores = [c for c in log if c['prog'].endswith('-restore')]
        return {
            'wall_s': wall, 'server_emulation_s': server,
            'command_emulation_s': emulator,
            'neutron_s': wall - server - emulator,
            'iptables_manager_apply_s':
                totals['_apply'] - before['_apply'] - emulator,
            'restore_calls': len(restores),
            'restore_lines': sum(c['lines'] for c in restores),
            'restore_bytes': sum(c['bytes'] for c in restores),
            'insert_lines': sum(c['inserts'] for c in restores),
            'delete_lines': sum(c['deletes'] for c in restores),
            'ipset_cmds': sum(1 for c in log if c['prog'] == 'ipset'),
            'refreshed_devices': self.refreshed - before['refreshed'],
        }


def measure_initial(n, ipset, driver):
    m = Measured(synthetic(n, driver, ipset))
    m.node.host.apply_restores = False   # count the payload, keep no state
    rss = _status('VmRSS')
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')   # resets VmHWM
    res = m.time(m.node.initial)
    res['peak_rss_mb'] = _status('VmHWM')
    res['peak_over_before_mb'] = res['peak_rss_mb'] - rss
    res['ipsets'] = len(m.node.host.ipsets)
    res['ipset_members'] = sum(len(s['members'])
                               for s in m.node.host.ipsets.values())
    return res


def measure_updates(n, ipset, driver):
    data = synthetic(n, driver, ipset)
    m = Measured(data)
    res = {'initial': m.time(m.node.initial)}
    res['rules_in_state'] = sum(len(ch['rules'])
                                for fam in m.node.host.tables.values()
                                for t in fam.values() for ch in t.values())
    port = dict(data['ports'][1])
    port['allowed_address_pairs'] = port['allowed_address_pairs'] + [
        {'ip_address': '203.0.113.7'}]
    res['aap_change'] = m.time(lambda: m.node.event(
        {'op': 'update_port', 'port': port}))
    joiner = {'id': 'ffff0000-ee00-4000-8000-000000000001', 'local': False,
              'network_id': data['ports'][0]['network_id'],
              'mac_address': 'fa:16:3e:ff:00:01',
              'fixed_ips': [{'ip_address': '10.200.0.1'}],
              'security_groups': [group_id(0)]}
    res['member_change'] = m.time(lambda: m.node.event(
        {'op': 'add_port', 'port': joiner}))
    return res


def child(kind, n, ipset, driver):
    neutron_harness.import_neutron(driver)
    measure = measure_initial if kind == 'initial' else measure_updates
    json.dump(measure(int(n), ipset == 'on', driver), sys.stdout)
    return 0


# ---------------------------------------------------------------------------
# the sweep
# ---------------------------------------------------------------------------

def run_child(*args):
    p = subprocess.run([sys.executable, os.path.abspath(__file__), '--child']
                       + [str(a) for a in args], capture_output=True,
                       text=True)
    if p.returncode:
        raise SystemExit('neutron_bench: %s failed:\n%s' % (
            ' '.join(map(str, args)), p.stderr))
    return json.loads(p.stdout)


def main():
    neutron_harness.hash_seed_zero()
    if sys.argv[1:2] == ['--child']:
        return child(*sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--sizes', default='100,1000,3000',
                    help='initial syncs to time (may be empty)')
    ap.add_argument('--ipset', default='on,off')
    ap.add_argument('--driver', default='linuxbridge',
                    choices=sorted(neutron_harness.DRIVERS))
    ap.add_argument('--updates-at', type=int, default=1000)
    ap.add_argument('--no-updates', action='store_true')
    ap.add_argument('--json', action='store_true')
    ap.add_argument('--write-input', metavar='FILE',
                    help='write the node of the first size and ipset '
                         'setting as a neutron_driver.py input, and exit')
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(',') if x]
    ipsets = [x for x in a.ipset.split(',') if x]
    if a.write_input:
        with open(a.write_input, 'w') as f:
            json.dump(synthetic(sizes[0], a.driver, ipsets[0] == 'on'), f,
                      indent=1)
        return 0
    results = {'initial': {}, 'updates': {}}
    print('# Neutron 21 %s driver, %d groups x 5 rules; Python %s, %d CPUs'
          % (a.driver, GROUPS, sys.version.split()[0], os.cpu_count()))
    for n in sizes:
        for ipset in ipsets:
            r = run_child('initial', n, ipset, a.driver)
            results['initial']['%d/%s' % (n, ipset)] = r
            print('# initial %5d ports, ipset %-3s: neutron %7.2f s '
                  '(IptablesManager %6.2f s), %d restore lines, peak RSS '
                  '%.0f MB' % (n, ipset, r['neutron_s'],
                               r['iptables_manager_apply_s'],
                               r['restore_lines'], r['peak_rss_mb']))
            sys.stdout.flush()
    for ipset in ([] if a.no_updates else ipsets):
        r = run_child('updates', a.updates_at, ipset, a.driver)
        results['updates']['%d/%s' % (a.updates_at, ipset)] = r
        for label in ('aap_change', 'member_change'):
            u = r[label]
            print('# %-13s at %d ports, ipset %-3s: neutron %7.2f s, %d '
                  'restore lines (%d -I, %d -D), %d ipset commands, %d ports '
                  're-filtered' % (label, a.updates_at, ipset, u['neutron_s'],
                                   u['restore_lines'], u['insert_lines'],
                                   u['delete_lines'], u['ipset_cmds'],
                                   u['refreshed_devices']))
        sys.stdout.flush()
    if a.json:
        print(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
