#!/usr/bin/python3
"""Run Neutron 21's real ML2/OVN driver code on one topology, writing into a
fresh OVN Northbound database, and print the rows that decide port security:

    /usr/bin/python3 test/golden/neutron_ovn_driver.py INPUT.json

INPUT is the fixtures' `input` shape with options.driver "ovn" (security_groups,
ports; no events: apply them first). An ovsdb-server with Debian's
ovn-nb.ovsschema runs in a temp dir on a unix socket for the run and is stopped
by its PID. The output is {"logical_switch_ports", "port_groups",
"address_sets"} (see test/golden/README.md, "OVN fixtures").

Exit status: 0; 1 when Neutron's code failed; 2 when the Neutron API would
refuse the input. Needs the system Python with Debian's python3-neutron and
the openvswitch-common and ovn-central packages.
"""

import json
import os
import sys

sys.dont_write_bytecode = True   # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import neutron_harness  # noqa: E402
from neutron_harness.ovn_nb import NbServer  # noqa: E402


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    neutron_harness.hash_seed_zero()
    with open(argv[0]) as f:
        data = json.load(f)
    options = dict(data.get('options') or {})
    if options.pop('driver', None) != 'ovn':
        sys.stderr.write('neutron_ovn_driver: options.driver must be "ovn"\n')
        return 2
    if options or data.get('events'):
        sys.stderr.write('neutron_ovn_driver: unsupported input: %s\n'
                         % ', '.join(sorted(options) + (
                             ['events'] if data.get('events') else [])))
        return 2
    with NbServer() as server:
        neutron_harness.import_neutron_ovn(server.remote)
        from neutron_harness import ovn
        from neutron_harness.topology import InputError
        try:
            rows = ovn.run(server.remote, data)
        except InputError as e:
            sys.stderr.write('neutron_ovn_driver: input refused: %s\n' % e)
            return 2
    json.dump(rows, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
