#!/usr/bin/python3
"""Run Neutron 21's real iptables firewall driver, offline, on one compute
node and print the ipsets and iptables it leaves, as the golden fixtures
hold them:

    /usr/bin/python3 test/golden/neutron_driver.py [--steps] INPUT.json

INPUT is the fixtures' `input` shape (options.driver linuxbridge|ovs_hybrid,
options.enable_ipset, security_groups, ports, maybe events). The agent syncs
every local port, then replays the events one agent loop each; the output is
{"ipset_restore": ..., "iptables_save": {"IPv4": ..., "IPv6": ...}}: the state
after the last event. With --steps it is {"steps": [STATE, ...]}: the state
after the initial sync, then after each event's agent loop.

Exit status: 0; 1 when a command failed that Neutron does not tolerate
(printed on stderr); 2 when the Neutron API would refuse the input. Needs the
system Python with Debian's python3-neutron.
"""

import json
import os
import sys

sys.dont_write_bytecode = True   # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import neutron_harness  # noqa: E402


def main(argv):
    steps = argv[:1] == ['--steps']
    if steps:
        argv = argv[1:]
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    neutron_harness.hash_seed_zero()
    with open(argv[0]) as f:
        data = json.load(f)
    driver = (data.get('options') or {}).get('driver', 'linuxbridge')
    if driver not in neutron_harness.DRIVERS:
        sys.stderr.write('neutron_driver: unknown driver %r\n' % driver)
        return 2
    neutron_harness.import_neutron(driver)
    from neutron_harness.node import Node
    from neutron_harness.topology import InputError
    states = []
    try:
        node = Node(data)
        node.initial()
        states.append(node.state())
        for ev in data.get('events') or []:
            node.event(ev)
            states.append(node.state())
    except InputError as e:
        sys.stderr.write('neutron_driver: input refused: %s\n' % e)
        return 2
    failures = node.failures()
    if failures:
        sys.stderr.write('neutron_driver: failed commands: %s\n'
                         % json.dumps(failures))
        return 1
    json.dump({'steps': states} if steps else states[-1], sys.stdout,
              indent=1)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
