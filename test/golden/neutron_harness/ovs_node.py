"""One compute node run through the OVS agent's real security-group code
(SecurityGroupAgentRpc, SecurityGroupServerAPIShim) with Neutron's real
OVSFirewallDriver on the mock integration bridge of ovs.py.

Import this module only after neutron_harness.import_neutron('openvswitch').
"""

from . import OVS_DRIVERS
from . import ovs
from .node import Node


def numbering(data):
    """port id -> (ofport, local VLAN): ports numbered from 1 in order of
    first appearance (input ports, then the events' ports), networks from 1
    in the order their first port appears. Neutron's agent takes ofports
    from OVSDB and VLANs from its own allocator; any fixed rule does here."""
    ports = list(data.get('ports') or [])
    ports += [ev['port'] for ev in data.get('events') or [] if 'port' in ev]
    numbers, vlans = {}, {}
    for p in ports:
        if p.get('id') in numbers:
            continue
        net = p.get('network_id')
        vlans.setdefault(net, len(vlans) + 1)
        numbers[p.get('id')] = (len(numbers) + 1, vlans[net])
    return numbers


class OvsNode(Node):
    drivers = OVS_DRIVERS

    def __init__(self, data):
        self._numbers = numbering(data)
        super(OvsNode, self).__init__(data)

    def integration_bridge(self):
        self.bridge = ovs.Bridge(self.topology, self._numbers)
        return self.bridge.br

    def state(self):
        """The integration bridge's flow table."""
        return {'flows': self.bridge.table.dump()}
