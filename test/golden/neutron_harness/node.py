"""One compute node run through Neutron's real agent and iptables firewall
code (SecurityGroupAgentRpc with IptablesFirewallDriver or
OVSHybridIptablesFirewallDriver, IptablesManager, IpsetManager), every
command going to the in-memory Host.

Import this module only after neutron_harness.import_neutron().
"""

import collections.abc
import tempfile

from oslo_concurrency import lockutils
from oslo_config import cfg
from oslo_utils import netutils
from neutron.agent import securitygroups_rpc
from neutron.agent.linux import ip_conntrack
from neutron.agent.linux import utils as linux_utils

from . import DRIVERS
from . import sources
from . import topology
from .host import Host
from .topology import InputError

OPTIONS = ('driver', 'enable_ipset', 'host', 'use_ipv6')


class OrderedSet(collections.abc.MutableSet):
    """The agent's device sets, in a reproducible order."""

    def __init__(self, items=()):
        self._d = dict.fromkeys(items)

    def __contains__(self, x):
        return x in self._d

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def add(self, x):
        self._d[x] = None

    def discard(self, x):
        self._d.pop(x, None)


class Node(object):
    """Neutron's agent on one node of `data` (the fixtures' input shape).
    Run initial() for the first sync; then event() for each change."""

    drivers = DRIVERS

    def __init__(self, data):
        options = dict(data.get('options') or {})
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise InputError('options not modelled: %s' % ', '.join(unknown))
        self.driver = options.get('driver', 'linuxbridge')
        if self.driver not in self.drivers:
            raise InputError('options.driver must be one of %s'
                             % ', '.join(self.drivers))
        firewall_driver, _, source = self.drivers[self.driver]
        for name, value, group in (
                ('firewall_driver', firewall_driver, 'SECURITYGROUP'),
                ('enable_security_group', True, 'SECURITYGROUP'),
                ('enable_ipset', bool(options.get('enable_ipset', True)),
                 'SECURITYGROUP')):
            cfg.CONF.set_override(name, value, group)
        self._locks = tempfile.TemporaryDirectory(prefix='neutron-locks-')
        lockutils.set_defaults(self._locks.name)

        # the agent's host: only ports bound to it (binding:host_id) are local
        self.agent_host = options.get('host')
        use_ipv6 = bool(options.get('use_ipv6', True))
        self.host = Host()
        linux_utils.execute = self.host.execute
        # IptablesManager asks once, when the firewall is built: without IPv6
        # on the host it keeps no ip6tables tables at all
        netutils.is_ipv6_enabled = lambda: use_ipv6
        # one conntrack manager per namespace is cached module-wide; its
        # green-thread workers are replaced by draining after each step
        ip_conntrack.CONTRACK_MGRS.clear()
        ip_conntrack.IpConntrackManager._start_process_queue = lambda s: None

        self.topology = topology.Topology(data, self.agent_host)
        self.source = sources.SOURCES[source](self.topology)
        # the agent's own sets of devices and groups (devices_to_refilter
        # above all) keep insertion order too: which ports share an RPC chunk
        # of a refresh follows from that order
        securitygroups_rpc.set = OrderedSet
        self.agent = securitygroups_rpc.SecurityGroupAgentRpc(
            context=None, plugin_rpc=self.source,
            defer_refresh_firewall=True,
            integration_bridge=self.integration_bridge())
        self.source.attach(self.agent)
        self.firewall = self.agent.firewall

    def integration_bridge(self):
        """What the agent hands its firewall (only the OVS firewall uses
        one)."""
        return None

    def device_of(self, port):
        if self.driver != 'linuxbridge':
            return port['id']   # the OVS agent's device is the port UUID
        dev = port['device'] or 'tap' + port['id'][:11]
        if not dev.startswith('tap') or not port['id'].startswith(dev[3:]):
            raise InputError('port %s: a linuxbridge device is tap + the '
                             'first 11 characters of the id, not %s'
                             % (port['id'], dev))
        return dev

    def local_devices(self):
        devs = [self.device_of(p) for p in self.topology.ports.values()
                if p['local']]
        if len(set(devs)) < len(devs):
            raise InputError('two local ports have the same device name '
                             '(first 11 characters of the id)')
        return devs

    def _drain_conntrack(self):
        manager = self.firewall.ipconntrack
        while not manager._queue.empty():
            manager._process_queue()

    def initial(self):
        """The agent's first loop: filters for every local port."""
        devices = OrderedSet(self.local_devices())
        if devices:
            self.agent.setup_port_filters(devices, OrderedSet())
        self._drain_conntrack()

    def event(self, ev):
        """One change on the server, then one iteration of the agent loop.
        Ops: add_port, update_port (full port), remove_port (id),
        update_security_group (full group)."""
        op = ev.get('op')
        new, updated, removed = OrderedSet(), OrderedSet(), []
        if op in ('add_port', 'update_port'):
            port = topology.port(ev['port'], self.agent_host)
            old = self.topology.ports.get(port['id'])
            if (old is None) != (op == 'add_port'):
                raise InputError('%s: port %s %s' % (
                    op, port['id'], 'exists' if old else 'does not exist'))
            self.topology.put_port(port)
            self.topology.check()
            self.source.port_changed(old, port)
            if port['local']:
                # a port_update RPC, or a new device on the bridge
                (updated if old and old['local'] else new).add(
                    self.device_of(port))
            elif old and old['local']:
                removed.append(self.device_of(old))
        elif op == 'remove_port':
            if ev.get('id') not in self.topology.ports:
                raise InputError('remove_port: no port %s' % ev.get('id'))
            old = self.topology.pop_port(ev['id'])
            self.source.port_changed(old, None)
            if old['local']:
                removed.append(self.device_of(old))
        elif op == 'update_security_group':
            sg = topology.security_group(ev['security_group'])
            if sg['id'] not in self.topology.sgs:
                raise InputError('update_security_group: no group %s'
                                 % sg['id'])
            self.topology.put_security_group(sg)
            self.topology.check()
            self.agent.security_groups_rule_updated([sg['id']])
        else:
            raise InputError('event op not modelled: %r' % op)
        if new or updated or self.agent.firewall_refresh_needed():
            self.agent.setup_port_filters(new, updated)
        if removed:
            self.agent.remove_devices_filter(removed)
        self._drain_conntrack()

    def state(self):
        """The node's ipsets and iptables as the fixtures hold them: ipsets
        by name, members by address; iptables rules as Neutron wrote them,
        built-in chains declared first, then user chains sorted."""
        return {
            'ipset_restore': self.host.ipset_restore_text(sources.address_key),
            'iptables_save': {fam: self.host.save(fam, neutron_form=True)
                              for fam in ('IPv4', 'IPv6')},
        }

    def failures(self):
        """Commands that failed and that Neutron did not tolerate."""
        return [f for f in self.host.failures if not f['tolerated']]

