"""The integration bridge the OVS agent hands its firewall, offline: an
autospec mock of the agent's real bridge class (OVSIntegrationBridge, an
ovs_lib.OVSBridge) whose OVSDB answers come from the topology and whose flow
methods are ovs_lib's own (add_flow, delete_flows, do_action_flows,
deferred, ...), down to the `ovs-ofctl add-flows/del-flows` input, which a
FlowTable applies as Open vSwitch would.

Import this module only after neutron_harness.import_neutron().
"""

import functools
import re
from unittest import mock

import netaddr
from oslo_config import cfg
from neutron.agent.common import ovs_lib
from neutron.plugins.ml2.drivers.openvswitch.agent.openflow.native import \
    br_int

BRIDGE = 'br-int'
DEFAULT_COOKIE = 0x1000   # the agent's uuid stamp is random; fixed here
NETWORK_TYPE = 'vxlan'    # no physical-network direct flows for tunnels


def port_name(port_id):
    return ('tap' + port_id)[:14]


IP_FIELDS = ('nw_src', 'nw_dst', 'ipv6_src', 'ipv6_dst', 'arp_spa', 'arp_tpa',
             'nd_target')
MAC = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5}(/.*)?$', re.I)


def _value(field, text):
    """A match value as Open vSwitch compares it: addresses without host
    bits, MACs in any case, numbers whatever their base."""
    if field in IP_FIELDS:
        return netaddr.IPNetwork(text).cidr
    if MAC.match(text):
        return text.lower()
    try:
        return tuple(int(x, 0) for x in text.split('/'))
    except ValueError:
        return text


def parse_flow(text):
    """`hard_timeout=0,...,priority=P,table=T,k=v,...,actions=A` ->
    (header dict, match dict, actions or None)."""
    head, sep, actions = text.partition(',actions=')
    header, match = {}, {}
    for item in filter(None, head.split(',')):
        key, _, val = item.partition('=')
        if key in ('hard_timeout', 'idle_timeout', 'priority', 'table',
                   'cookie'):
            header[key] = val
        else:
            value = _value(key, val)
            # a /0 address is no match at all: OVS keeps no such field
            if not (isinstance(value, netaddr.IPNetwork) and
                    value.prefixlen == 0):
                match[key] = value
    return header, match, (actions if sep else None)


def _covers(wanted, have):
    if isinstance(wanted, netaddr.IPNetwork) and \
            isinstance(have, netaddr.IPNetwork):
        return have.version == wanted.version and have in wanted
    return wanted == have


class FlowTable(object):
    """The bridge's flows, fed `ovs-ofctl add-flows/mod-flows/del-flows`
    input: an add replaces the flow with the same table, priority and match;
    a non-strict delete or modify hits every flow whose match includes the
    given fields (and whose cookie is the given one, when one is given)."""

    def __init__(self):
        self.flows = {}   # (table, priority, match) -> (cookie, text)

    @staticmethod
    def _key(header, match):
        return (int(header.get('table', 0)), int(header.get('priority', 1)),
                frozenset(match.items()))

    def _hits(self, header, match, strict):
        table = header.get('table')
        cookie = header.get('cookie')
        if cookie is not None:
            value, _, mask = cookie.partition('/')
            if mask != '-1':
                raise NotImplementedError('cookie mask %s' % mask)
        for key, (have_cookie, _) in self.flows.items():
            if table is not None and key[0] != int(table):
                continue
            if cookie is not None and have_cookie != int(value, 0):
                continue
            if strict:
                if key == self._key(header, match):
                    yield key
                continue
            have = dict(key[2])
            if all(k in have and _covers(v, have[k])
                   for k, v in match.items()):
                yield key

    def run_ofctl(self, cmd, args, process_input=None):
        strict = '--strict' in args
        lines = process_input.split('\n') if process_input is not None \
            else ['']   # `del-flows` with no argument: everything
        for line in lines:
            header, match, actions = parse_flow(line)
            if cmd == 'add-flows':
                cookie = int(header.get('cookie', '0'), 0)
                self.flows[self._key(header, match)] = (cookie, line)
            elif cmd == 'del-flows':
                for key in list(self._hits(header, match, strict)):
                    del self.flows[key]
            elif cmd == 'mod-flows':
                for key in list(self._hits(header, match, strict)):
                    cookie, old = self.flows[key]
                    self.flows[key] = (cookie, old.partition(',actions=')[0]
                                       + ',actions=' + actions)
            else:
                raise NotImplementedError('ovs-ofctl %s' % cmd)
        return ''

    def dump(self):
        """The flows as ovs_lib wrote them (minus the agent's default
        cookie), by table, priority (highest first), then text."""
        out = []
        for key, (cookie, text) in self.flows.items():
            if cookie == DEFAULT_COOKIE:
                text = ','.join(t for t in text.split(',')
                                if t != 'cookie=%d' % DEFAULT_COOKIE)
            out.append((key[0], -key[1], text))
        return [t for _, _, t in sorted(out)]


class Bridge(object):
    """The mock integration bridge and its OVSDB view of the local ports:
    ofport and local VLAN from `numbers` (port id -> (ofport, vlan))."""

    def __init__(self, topology, numbers):
        self.topology = topology
        self.numbers = numbers
        self.table = FlowTable()
        self.cookies = 0
        br = mock.create_autospec(br_int.OVSIntegrationBridge, instance=True)
        br.br_name = BRIDGE
        br._default_cookie = DEFAULT_COOKIE
        br.default_cookie = DEFAULT_COOKIE
        br._flows_per_port = cfg.CONF.OVS.openflow_processed_per_port
        br.is_hw_offload_enabled = False
        cls = ovs_lib.OVSBridge
        for name in ('add_flow', 'mod_flow', 'delete_flows',
                     'do_action_flows', 'do_action_flows_by_group_id',
                     'deferred'):
            getattr(br, name).side_effect = functools.partial(
                getattr(cls, name), br)
        br.run_ofctl.side_effect = self.table.run_ofctl
        br.dump_flows.return_value = []
        br.dump_flows_for_table.return_value = ''
        br.request_cookie.side_effect = self._request_cookie
        br.get_vif_port_by_id.side_effect = self._vif
        br.get_vifs_by_ids.side_effect = lambda ids: {i: self._vif(i)
                                                     for i in ids}
        br.get_port_name_list.side_effect = lambda: [
            port_name(p['id']) for p in topology.ports.values()
            if p['local']]
        br.db_get_val.side_effect = self._db_get_val
        self.br = br

    def _request_cookie(self):
        self.cookies += 1
        return DEFAULT_COOKIE + self.cookies

    def _local(self, port_id):
        p = self.topology.ports.get(port_id)
        return p if p is not None and p['local'] else None

    def _vif(self, port_id):
        p = self._local(port_id)
        if p is None:
            return None
        return ovs_lib.VifPort(port_name(p['id']), self.numbers[p['id']][0],
                               p['id'], p['mac_address'], self.br)

    def _db_get_val(self, table, record, column, check_error=False,
                    log_errors=True, if_exists=False):
        if table == 'Bridge' and column == 'other_config':
            return {}
        if table == 'Port' and column == 'other_config':
            for p in self.topology.ports.values():
                if p['local'] and port_name(p['id']) == record:
                    return {'tag': str(self.numbers[p['id']][1]),
                            'net_uuid': p['network_id'],
                            'network_type': NETWORK_TYPE}
            return None
        raise NotImplementedError('db_get_val %s %s' % (table, column))
