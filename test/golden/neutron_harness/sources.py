"""Where the agent gets its security-group information, both ways Neutron
has, each ending in Neutron's own SecurityGroupInfoAPIMixin.
security_group_info_for_ports:

* server_rpc (linuxbridge): the agent asks the ML2 server over RPC; the
  real SecurityGroupServerRpcCallback answers, through a plugin whose
  database selectors are replicated here over the Topology.
* agent_shim (OVS hybrid): the real SecurityGroupServerAPIShim answers from
  the agent's cache of pushed objects; the cache and the few object
  attributes it reads are stood in for here.

Neutron hands the remote groups' members over as Python sets, whose order
is arbitrary; both sources sort them (by member_key) so that the rules a
non-ipset driver expands from them come out in one reproducible order.

Import this module only after neutron_harness.node.import_neutron().
"""

import functools
import types

import netaddr
from neutron_lib import constants as n_const
from neutron_lib.plugins import directory
from neutron.agent import resource_cache
from neutron.api.rpc.handlers import securitygroups_rpc as sg_rpc
from neutron.db import securitygroups_rpc_base as sg_rpc_base

RULE_COLUMNS = ('id', 'security_group_id', 'remote_group_id',
                'remote_address_group_id', 'direction', 'ethertype',
                'protocol', 'port_range_min', 'port_range_max',
                'remote_ip_prefix')


@functools.lru_cache(maxsize=None)
def address_key(addr):
    """(IP version, address as an integer, prefix length, text)."""
    net = netaddr.IPNetwork(addr)
    return (net.version, int(net.ip), net.prefixlen, addr)


def member_key(member):
    """An (ip, mac) member: by address_key, then MAC ('' for none)."""
    return address_key(str(member[0])) + ('' if member[1] is None
                                          else str(member[1]),)


def api_port(p):
    """The port as the API shows it."""
    return {k: v for k, v in p.items() if k != 'local'}


# ---------------------------------------------------------------------------
# server_rpc
# ---------------------------------------------------------------------------

class _ServerDb(sg_rpc_base.SecurityGroupInfoAPIMixin):
    """The ML2 plugin's database side. The selectors replicate
    SecurityGroupServerRpcMixin's queries, rows in input order."""

    def __init__(self, topology):
        self.topology = topology

    # Ml2Plugin.get_ports_from_devices + db.get_ports_and_sgs +
    # make_port_dict_with_security_groups: the device's prefix is stripped
    # and the port found by id prefix
    def get_ports_from_devices(self, context, devices):
        result = []
        for device in devices:
            port_id = device
            for prefix in n_const.INTERFACE_PREFIXES:
                if device.startswith(prefix):
                    port_id = device[len(prefix):]
                    break
            p = next((p for p in self.topology.ports.values()
                      if p['id'].startswith(port_id)), None)
            if p is None:
                continue
            d = api_port(p)
            d.update(security_groups=list(p['security_groups']),
                     security_group_rules=[],
                     security_group_source_groups=[],
                     security_group_remote_address_groups=[],
                     fixed_ips=[f['ip_address'] for f in p['fixed_ips']],
                     device=device)
            result.append(d)
        return result

    # (port id, rule row) for each port, each of its groups, each rule; the
    # row has no normalized_cidr column, so the stored prefix is sent
    def _select_rules_for_ports(self, context, ports):
        return [(pid, {k: r[k] for k in RULE_COLUMNS})
                for pid in ports
                for sg in self.topology.ports[pid]['security_groups']
                for r in self.topology.sgs[sg]['security_group_rules']]

    def _select_sg_ids_for_ports(self, context, ports):
        return [(sg,) for sg in dict.fromkeys(
            sg for pid in ports
            for sg in self.topology.ports[pid]['security_groups'])]

    # group binding JOIN IP allocation LEFT JOIN address pair: fixed IPs
    # with no MAC, pairs with theirs, nothing from a port without fixed IPs
    def _select_ips_for_remote_group(self, context, remote_group_ids):
        ips = {sg: set() for sg in remote_group_ids}
        for sg in ips:
            for p in self.topology.ports_in(sg):
                if p['fixed_ips']:
                    ips[sg].update((f['ip_address'], None)
                                   for f in p['fixed_ips'])
                    ips[sg].update((a['ip_address'], a['mac_address'])
                                   for a in p['allowed_address_pairs'])
        return ips

    def _select_ips_for_remote_address_group(self, context, ids):
        return {}   # Topology refuses address groups

    def _is_security_group_stateful(self, context, sg_id):
        return self.topology.sgs[sg_id]['stateful']


def _rpc(obj):
    """oslo.messaging's JSON: sets and tuples become lists (member sets
    sorted, see the module's note)."""
    if isinstance(obj, dict):
        return {k: _rpc(v) for k, v in obj.items()}
    if isinstance(obj, set):
        return [_rpc(m) for m in sorted(obj, key=member_key)]
    if isinstance(obj, (list, tuple)):
        return [_rpc(x) for x in obj]
    return obj


class ServerRpc(object):
    """The linuxbridge agent's plugin_rpc, and the server's notifier half
    (SecurityGroupServerNotifierRpcMixin, real code) for port changes."""

    def __init__(self, topology):
        directory.add_plugin('CORE', _ServerDb(topology))
        self.callback = sg_rpc.SecurityGroupServerRpcCallback()

    def security_group_info_for_devices(self, context, devices):
        return _rpc(self.callback.security_group_info_for_devices(
            context, devices=list(devices), call_version='1.3'))

    def attach(self, agent):
        class Notifier(object):
            def security_groups_member_updated(self, context, sgs):
                agent.security_groups_member_updated(sgs)

        self.notifier = types.SimpleNamespace(notifier=Notifier())
        mixin = sg_rpc_base.SecurityGroupServerNotifierRpcMixin
        for name in ('check_and_notify_security_group_member_changed',
                     'notify_security_groups_member_updated_bulk',
                     'notify_security_groups_member_updated'):
            setattr(self.notifier, name,
                    types.MethodType(getattr(mixin, name), self.notifier))

    def port_changed(self, old, new):
        """What the server notifies the agents of for a port change."""
        if old is not None and new is not None:
            self.notifier.check_and_notify_security_group_member_changed(
                None, api_port(old), api_port(new))
        else:
            self.notifier.notify_security_groups_member_updated(
                None, api_port(old or new))


# ---------------------------------------------------------------------------
# agent_shim
# ---------------------------------------------------------------------------

class _Obj(object):
    def __init__(self, **kw):
        self.__dict__.update(kw)


class _PortOvo(_Obj):
    """The attributes of objects.ports.Port the shim reads."""

    def __init__(self, p):
        super(_PortOvo, self).__init__(
            id=p['id'], mac_address=p['mac_address'],
            device_owner=p['device_owner'],
            security_group_ids=tuple(p['security_groups']),
            fixed_ips=[_Obj(**f) for f in p['fixed_ips']],
            allowed_address_pairs=[_Obj(**a)
                                   for a in p['allowed_address_pairs']],
            security=_Obj(port_security_enabled=p['port_security_enabled']))
        self._port = p

    def to_dict(self):
        p = self._port
        d = {k: v for k, v in api_port(p).items()
             if k not in ('security_groups', 'port_security_enabled')}
        d.update(
            fixed_ips=[dict(f, network_id=p['network_id'], port_id=p['id'])
                       for f in p['fixed_ips']],
            allowed_address_pairs=[dict(a, port_id=p['id'])
                                   for a in p['allowed_address_pairs']],
            security_group_ids=list(p['security_groups']),
            security={'port_id': p['id'],
                      'port_security_enabled': p['port_security_enabled']})
        return d


class _RuleOvo(_Obj):
    def __init__(self, r):
        super(_RuleOvo, self).__init__(**{k: r[k] for k in RULE_COLUMNS})

    def to_dict(self):
        d = dict(self.__dict__)
        # the OVO's synthetic field: str(AuthenticIPNetwork(prefix).cidr)
        d['normalized_cidr'] = (str(netaddr.IPNetwork(
            self.remote_ip_prefix).cidr) if self.remote_ip_prefix else None)
        return d


class _Cache(object):
    """Stands in for RemoteResourceCache: the Topology's objects, rebuilt
    whenever the topology changed; get_resources matches filters as
    RemoteResourceCache.get_resources does."""

    def __init__(self, topology):
        self.topology = topology
        self.version = None

    def _refresh(self):
        t = self.topology
        if self.version == t.version:
            return
        self.version = t.version
        self.objects = {
            'Port': [_PortOvo(p) for p in t.ports.values()],
            'SecurityGroupRule': [_RuleOvo(r) for sg in t.sgs.values()
                                  for r in sg['security_group_rules']],
            'SecurityGroup': [_Obj(id=sg['id'], stateful=sg['stateful'])
                              for sg in t.sgs.values()]}
        self.by_id = {k: {o.id: o for o in objs}
                      for k, objs in self.objects.items()}

    def get_resource_by_id(self, rtype, obj_id, agent_restarted=False):
        self._refresh()
        return self.by_id[rtype].get(obj_id)

    def get_resources(self, rtype, filters):
        def match(obj):
            for key, values in filters.items():
                attr = getattr(obj, key)
                if isinstance(attr, (list, tuple, set)):
                    if not any(v in attr for v in values):
                        return False
                elif attr not in values:
                    return False
            return True
        self._refresh()
        return [o for o in self.objects[rtype] if match(o)]


class AgentShim(object):
    """The OVS agent's plugin_rpc: Neutron's SecurityGroupServerAPIShim over
    the stand-in cache, and its handlers for pushed port changes."""

    def __init__(self, topology):
        class Shim(sg_rpc.SecurityGroupServerAPIShim):
            def __init__(self, rcache):   # no registry, no RPC client
                self.rcache = rcache

        self.cache = _Cache(topology)
        self.shim = Shim(self.cache)

    def security_group_info_for_devices(self, context, devices):
        info = self.shim.security_group_info_for_devices(context,
                                                         list(devices))
        for by_ethertype in info['sg_member_ips'].values():
            for eth, members in by_ethertype.items():
                by_ethertype[eth] = sorted(members, key=member_key)
        return info

    def attach(self, agent):
        self.shim._sg_agent = agent

    def port_changed(self, old, new):
        """The cache's after_update/after_delete of a pushed port."""
        if new is None:
            self.shim._handle_sg_member_delete(
                'Port', 'after_delete', None,
                types.SimpleNamespace(states=(_PortOvo(old),)))
            return
        old_o = _PortOvo(old) if old else None
        new_o = _PortOvo(new)
        changed = resource_cache.RemoteResourceCache._get_changed_fields(
            None, old_o, new_o)
        if changed:
            self.shim._handle_sg_member_update(
                'Port', 'after_update', None, types.SimpleNamespace(
                    states=(old_o, new_o), latest_state=new_o,
                    metadata={'changed_fields': changed}))


SOURCES = {'server_rpc': ServerRpc, 'agent_shim': AgentShim}
