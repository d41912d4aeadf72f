#!/usr/bin/python3
"""Run Neutron 21's real openvswitch firewall (OVSFirewallDriver), offline,
on one compute node and print the flows it leaves on the integration bridge:

    /usr/bin/python3 test/golden/neutron_ovs_driver.py [--steps] INPUT.json

INPUT is the golden fixtures' `input` shape with options.driver
"openvswitch". The OVS agent's security-group code syncs every local port,
then replays the events one agent loop each; every add-flows / mod-flows /
del-flows the firewall sends through ovs_lib is applied to an in-memory flow
table. The output is {"flows": [...]}: the table after the last event, each
flow as ovs_lib's _build_flow_expr_str wrote it, sorted by table, priority
(highest first), text. With --steps it is {"steps": [{"flows": ...}, ...]}:
after the initial sync, then after each event's agent loop.

Exit status: 0; 1 when a command failed that Neutron does not tolerate
(printed on stderr); 2 when the Neutron API would refuse the input. Needs the
system Python with Debian's python3-neutron.

    /usr/bin/python3 test/golden/neutron_ovs_driver.py --batch INPUTS.json

runs a JSON list of inputs in one process (Neutron's import is most of a
run's time) and prints a JSON list: each {"flows": [...]} or
{"exit": 1|2, "error": MESSAGE}. Nothing of one node outlives its run.
"""

import json
import os
import sys

sys.dont_write_bytecode = True   # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import neutron_harness  # noqa: E402


def run(data, steps):
    """(0, output) or (exit status, message) for one node."""
    from neutron_harness.ovs_node import OvsNode
    from neutron_harness.topology import InputError
    driver = (data.get('options') or {}).get('driver')
    if driver not in neutron_harness.OVS_DRIVERS:
        return 2, 'options.driver must be %s' % ' or '.join(
            neutron_harness.OVS_DRIVERS)
    states = []
    try:
        node = OvsNode(data)
        node.initial()
        states.append(node.state())
        for ev in data.get('events') or []:
            node.event(ev)
            states.append(node.state())
    except InputError as e:
        return 2, 'input refused: %s' % e
    failures = node.failures()
    if failures:
        return 1, 'failed commands: %s' % json.dumps(failures)
    return 0, {'steps': states} if steps else states[-1]


def main(argv):
    steps = argv[:1] == ['--steps']
    batch = argv[:1] == ['--batch']
    if steps or batch:
        argv = argv[1:]
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    neutron_harness.hash_seed_zero()
    with open(argv[0]) as f:
        data = json.load(f)
    neutron_harness.import_neutron('openvswitch')
    if batch:
        out = []
        for d in data:
            code, result = run(d, False)
            out.append(result if code == 0
                       else {'exit': code, 'error': result})
        json.dump(out, sys.stdout)
        sys.stdout.write('\n')
        return 0
    code, result = run(data, steps)
    if code:
        sys.stderr.write('neutron_ovs_driver: %s\n' % result)
        return code
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
