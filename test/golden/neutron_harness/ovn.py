"""Neutron 21's ML2/OVN driver writing one topology into a real OVN
Northbound database (see test/golden/README.md, "OVN fixtures").

Neutron's own code writes every row: OVNClient.create_network,
create_security_group (acl.add_acls_for_sg_port_group), create_port
(_get_port_options, _get_allowed_addresses_from_port, port groups, the drop
group) and mech_driver.create_default_drop_port_group, through Neutron's
ovsdbapp NB API (OvsdbNbOvnIdl). Only what needs Neutron's database is
stood in for: the plugin's get_subnets/get_ports answers and revision
bookkeeping. Import after import_neutron_ovn().
"""

from unittest import mock

import netaddr
from neutron_lib import context as n_context
from neutron_lib.api.definitions import portbindings
from ovsdbapp.backend.ovs_idl import connection
from ovsdbapp.backend.ovs_idl import idlutils

from neutron.db import securitygroups_db
from neutron.plugins.ml2.drivers.ovn.mech_driver import mech_driver
from neutron.plugins.ml2.drivers.ovn.mech_driver.ovsdb import impl_idl_ovn
from neutron.plugins.ml2.drivers.ovn.mech_driver.ovsdb import ovn_client
from neutron.plugins.ml2.drivers.ovn.mech_driver.ovsdb import ovsdb_monitor

from neutron_harness import topology as topo

PROJECT = 'project'


def _subnet_id(port, fixed_ip):
    """A fixed IP given without its subnet still has one in Neutron."""
    version = netaddr.IPAddress(fixed_ip['ip_address']).version
    return fixed_ip['subnet_id'] or '%s-v%d' % (port['network_id'], version)


def _subnet_cidr(ip):
    """The input names subnets only: the fixed IP's /24 or /64 stands in
    (the cidr reaches only the LSP's neutron:cidrs external id)."""
    prefix = 24 if netaddr.IPAddress(ip).version == 4 else 64
    return str(netaddr.IPNetwork('%s/%d' % (ip, prefix)).cidr)


def neutron_port(p):
    """The port dict the ML2 plugin hands the OVN driver. Every input port
    is bound (a VM or a network service): vif_type ovs, no DNS name, no QoS
    policy."""
    return {'id': p['id'], 'name': '', 'device_id': 'device-' + p['id'],
            'project_id': PROJECT, 'tenant_id': PROJECT,
            'network_id': p['network_id'],
            'mac_address': p['mac_address'],
            'fixed_ips': [{'ip_address': f['ip_address'],
                           'subnet_id': _subnet_id(p, f)}
                          for f in p['fixed_ips']],
            'allowed_address_pairs': p['allowed_address_pairs'],
            'security_groups': p['security_groups'],
            'port_security_enabled': p['port_security_enabled'],
            'device_owner': p['device_owner'],
            'admin_state_up': True,
            'qos_policy_id': None, 'qos_network_policy_id': None,
            portbindings.HOST_ID: p.get('host') or '',
            portbindings.VNIC_TYPE: portbindings.VNIC_NORMAL,
            portbindings.VIF_TYPE: portbindings.VIF_TYPE_OVS,
            portbindings.PROFILE: {},
            'revision_number': 1}


def neutron_security_group(sg):
    """The group dict as the plugin hands it over: its rules carry the
    database's normalized_cidr."""
    rules = []
    for r in sg['security_group_rules']:
        r = dict(r)
        r['normalized_cidr'] = (securitygroups_db.SecurityGroupDbMixin
                                ._get_normalized_cidr_from_rule(r))
        rules.append(r)
    return {'id': sg['id'], 'name': sg['id'], 'project_id': PROJECT,
            'stateful': sg['stateful'], 'security_group_rules': rules,
            'revision_number': 1}


class Plugin(object):
    """The ML2 plugin's database answers the OVN client asks for."""

    def __init__(self, ports):
        self.ports = ports
        self.security_groups = {}
        self.subnets = {}
        for p in ports:
            for f in p['fixed_ips']:
                self.subnets.setdefault(f['subnet_id'], {
                    'id': f['subnet_id'], 'network_id': p['network_id'],
                    'cidr': _subnet_cidr(f['ip_address']),
                    'ip_version': netaddr.IPAddress(f['ip_address']).version,
                    'enable_dhcp': False})

    def get_security_group(self, context, sg_id):
        return self.security_groups[sg_id]

    def get_subnets(self, context, filters=None):
        return [self.subnets[i] for i in filters['id'] if i in self.subnets]

    def get_ports(self, context, filters=None):
        def keep(p):
            ips = filters.get('fixed_ips', {}).get('ip_address')
            return ((not ips or any(f['ip_address'] in ips
                                    for f in p['fixed_ips'])) and
                    p['network_id'] in filters.get('network_id',
                                                   [p['network_id']]) and
                    p[portbindings.VIF_TYPE] in filters.get(
                        portbindings.VIF_TYPE, [p[portbindings.VIF_TYPE]]))
        return [p for p in self.ports if keep(p)]


def nb_api(remote):
    """Neutron's NB API class on a connection of its own IDL class."""
    helper = idlutils.get_schema_helper(remote, 'OVN_Northbound')
    idl = ovsdb_monitor.BaseOvnIdl.from_server(remote, helper)
    api = impl_idl_ovn.OvsdbNbOvnIdl(connection.Connection(idl, timeout=30))
    api.start_connection(api.ovsdb_connection)
    return api


def write(nb, data):
    """Create the topology's networks, groups and ports in `nb`, in input
    order (the order Neutron would have been asked), as the OVN mechanism
    driver does after the API accepted them. Raises topo.InputError for
    what the API refuses."""
    t = topo.Topology(data)
    ports = [neutron_port(p) for p in t.ports.values()]
    plugin = Plugin(ports)
    sb = mock.Mock()
    sb.is_table_present.return_value = True   # OVN 23.03 has FDB
    sb.is_col_present.return_value = True
    ctx = n_context.get_admin_context()
    with mock.patch('neutron.db.ovn_revision_numbers_db.bump_revision'), \
            mock.patch('neutron.db.ovn_revision_numbers_db.delete_revision'), \
            mock.patch('neutron_lib.plugins.directory.get_plugin',
                       return_value=plugin), \
            mock.patch.object(ovn_client.segments_db, 'get_network_segments',
                              return_value=[]), \
            mock.patch.object(ovn_client.OVNClient, 'create_metadata_port'):
        client = ovn_client.OVNClient(nb, sb)
        mech_driver.create_default_drop_port_group(nb)
        for net in sorted(set(p['network_id'] for p in ports)):
            client.create_network(ctx, {
                'id': net, 'name': net, 'mtu': 1442,
                'availability_zone_hints': [], 'revision_number': 1})
        # a group, then its rules one API call (one NB transaction) each:
        # pg_acl_add(may_exist=True) then keeps only the first of rules
        # with the same match, which one transaction would not
        for sg in t.sgs.values():
            group = neutron_security_group(sg)
            plugin.security_groups[sg['id']] = group
            client.create_security_group(
                ctx, dict(group, security_group_rules=[]))
            for rule in group['security_group_rules']:
                client.create_security_group_rule(ctx, rule)
        for p in ports:
            client.create_port(ctx, p)


def dump(nb):
    """The rows that decide port security, UUIDs replaced by names, sorted."""
    tables = nb.tables
    def acl_row(a):
        return {'direction': a.direction, 'priority': a.priority,
                'match': a.match, 'action': a.action,
                'external_ids': dict(sorted(a.external_ids.items()))}

    lsps = []
    for ls in tables['Logical_Switch'].rows.values():
        for lsp in ls.ports:
            lsps.append({'name': lsp.name, 'switch': ls.name,
                         'type': lsp.type,
                         'addresses': sorted(lsp.addresses),
                         'port_security': sorted(lsp.port_security)})
    pgs = []
    for pg in tables['Port_Group'].rows.values():
        acls = sorted((acl_row(a) for a in pg.acls),
                      key=lambda a: (a['direction'], -a['priority'],
                                     a['match'], a['action'],
                                     sorted(a['external_ids'].items())))
        pgs.append({'name': pg.name,
                    'ports': sorted(p.name for p in pg.ports),
                    'acls': acls})
    sets = [{'name': s.name, 'addresses': sorted(s.addresses)}
            for s in tables['Address_Set'].rows.values()]
    switch_acls = sum(len(ls.acls)
                      for ls in tables['Logical_Switch'].rows.values())
    if switch_acls:
        raise RuntimeError('ACLs on a logical switch: not dumped')
    return {'logical_switch_ports': sorted(lsps, key=lambda r: r['name']),
            'port_groups': sorted(pgs, key=lambda r: r['name']),
            'address_sets': sorted(sets, key=lambda r: r['name'])}


def run(remote, data):
    nb = nb_api(remote)
    try:
        write(nb, data)
        nb.ovsdb_connection.idl.run()
        return dump(nb)
    finally:
        nb.ovsdb_connection.stop()

