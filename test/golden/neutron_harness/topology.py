"""A compute node's topology as the Neutron API would have stored it: every
port, rule and group goes through Neutron's own API converters and
validators, and whatever the API would refuse is an InputError.

Import this module only after neutron_harness.node.import_neutron().
"""

import types

import netaddr
from neutron_lib.api import converters
from neutron_lib.api import validators
from neutron.db import securitygroups_db
from neutron.extensions import securitygroup as ext_sg

DEFAULT_NETWORK_ID = '00000000-0000-4000-8000-000000000000'


class InputError(Exception):
    pass


class _RuleApi(object):
    """SecurityGroupDbMixin's rule normalisation and validation methods,
    borrowed as they are (none of them touches the database)."""

    def __init__(self):
        mixin = securitygroups_db.SecurityGroupDbMixin
        for name in ('_get_ip_proto_number',
                     '_make_canonical_ipv6_icmp_protocol',
                     '_make_canonical_port_range', '_validate_port_range',
                     '_validate_ip_prefix',
                     '_validate_ethertype_and_protocol'):
            setattr(self, name, types.MethodType(getattr(mixin, name), self))


_RULE_API = None

REMOTES = ('remote_ip_prefix', 'remote_group_id', 'remote_address_group_id')


def rule(raw, sg_id, index):
    global _RULE_API
    _RULE_API = _RULE_API or _RuleApi()
    r = dict(raw)
    r.setdefault('id', '%s-rule-%d' % (sg_id, index))
    r['security_group_id'] = sg_id
    r.setdefault('tenant_id', 'project')   # only named in Neutron's log lines
    if r.get('direction') not in ('ingress', 'egress'):
        raise InputError('rule %s: direction must be ingress or egress'
                         % r['id'])
    r['ethertype'] = ext_sg.convert_ethertype_to_case_insensitive(
        r.get('ethertype', 'IPv4'))
    protocol = r.get('protocol')
    if isinstance(protocol, str) and protocol.lower() == 'any':
        protocol = None   # the newer API's spelling of "any protocol"
    r['protocol'] = ext_sg.convert_protocol(protocol)
    for k in ('port_range_min', 'port_range_max'):
        r[k] = ext_sg.convert_validate_port_value(r.get(k))
    for k in REMOTES:
        r.setdefault(k, None)
    if r['remote_ip_prefix'] is not None:
        r['remote_ip_prefix'] = ext_sg.convert_ip_prefix_to_cidr(
            r['remote_ip_prefix'])
    if sum(1 for k in REMOTES if r[k]) > 1:
        raise InputError('rule %s: more than one remote' % r['id'])
    try:
        _RULE_API._make_canonical_ipv6_icmp_protocol(r)
        _RULE_API._make_canonical_port_range(r)
        _RULE_API._validate_port_range(r)
        _RULE_API._validate_ip_prefix(r)
        _RULE_API._validate_ethertype_and_protocol(r)
    except Exception as e:
        raise InputError('rule %s refused by the API: %s' % (r['id'], e))
    return r


def security_group(raw):
    if 'id' not in raw:
        raise InputError('security group without id')
    return {'id': raw['id'], 'stateful': bool(raw.get('stateful', True)),
            'security_group_rules': [
                rule(r, raw['id'], i)
                for i, r in enumerate(raw.get('security_group_rules') or [])]}


def _valid_mac(mac, what):
    msg = validators.validate_mac_address(mac)
    if msg:
        raise InputError('%s: %s' % (what, msg))
    return mac


def port(raw, host=None):
    """The stored port; `local` says whether it is bound to this node or
    only a group member elsewhere: with the agent's `host` known, whether
    its binding:host_id is that host, else `local` as given (default
    true)."""
    if 'id' not in raw or 'mac_address' not in raw:
        raise InputError('a port needs id and mac_address')
    pid = raw['id']
    mac = converters.convert_to_sanitized_mac_address(
        _valid_mac(raw['mac_address'], 'port %s' % pid))
    fixed = []
    for f in raw.get('fixed_ips') or []:
        f = {'ip_address': f} if isinstance(f, str) else dict(f)
        fixed.append({'ip_address': str(netaddr.IPAddress(f['ip_address'])),
                      'subnet_id': f.get('subnet_id')})
    pairs = []
    for a in raw.get('allowed_address_pairs') or []:
        netaddr.IPNetwork(a['ip_address'])   # validates
        # the API gives a pair without a MAC the port's MAC
        pair_mac = mac if a.get('mac_address') is None else a['mac_address']
        pairs.append({'ip_address': a['ip_address'],
                      'mac_address': _valid_mac(pair_mac,
                                                'port %s pair' % pid)})
    p = {'id': pid, 'device': raw.get('device'),
         'network_id': raw.get('network_id', DEFAULT_NETWORK_ID),
         'mac_address': mac, 'fixed_ips': fixed,
         'allowed_address_pairs': pairs,
         'security_groups': list(raw.get('security_groups') or []),
         'port_security_enabled': raw.get('port_security_enabled', True),
         'device_owner': raw.get('device_owner', 'compute:nova'),
         'local': (raw.get('binding:host_id') == host if host is not None
                   else bool(raw.get('local', True)))}
    if not p['port_security_enabled'] and (p['security_groups'] or pairs):
        raise InputError('port %s: the API refuses groups or address pairs '
                         'without port security' % pid)
    return p


class Topology(object):
    """The server's database for one node: ports (local or not) and
    security groups, in input order (which stands in for the database's
    unspecified row order)."""

    def __init__(self, data, host=None):
        self.version = 0
        self._members = None
        self.sgs = {}
        for raw in data.get('security_groups') or []:
            sg = security_group(raw)
            self.sgs[sg['id']] = sg
        self.ports = {}
        for raw in data.get('ports') or []:
            self.put_port(port(raw, host))
        self.check()

    def _changed(self):
        self.version += 1
        self._members = None

    def put_port(self, p):
        self.ports[p['id']] = p
        self._changed()

    def pop_port(self, port_id):
        self._changed()
        return self.ports.pop(port_id)

    def put_security_group(self, sg):
        self.sgs[sg['id']] = sg
        self._changed()

    def ports_in(self, sg_id):
        """The ports bound to a group, in input order."""
        if self._members is None:
            self._members = {}
            for p in self.ports.values():
                for sg in p['security_groups']:
                    self._members.setdefault(sg, []).append(p)
        return self._members.get(sg_id, [])

    def check(self):
        """What the API's referential checks would refuse."""
        for sg in self.sgs.values():
            for r in sg['security_group_rules']:
                if r['remote_group_id'] and r['remote_group_id'] not in \
                        self.sgs:
                    raise InputError('rule %s: unknown remote group %s'
                                     % (r['id'], r['remote_group_id']))
                if r['remote_address_group_id']:
                    raise InputError('rule %s: address groups are not '
                                     'modelled' % r['id'])
        for p in self.ports.values():
            unknown = [sg for sg in p['security_groups'] if sg not in self.sgs]
            if unknown:
                raise InputError('port %s: unknown security group %s'
                                 % (p['id'], unknown[0]))
            if len(set(self.sgs[sg]['stateful']
                       for sg in p['security_groups'])) > 1:
                raise InputError('port %s: the API refuses stateful and '
                                 'stateless groups together' % p['id'])
        prefixes = [sg[:24] for sg in self.sgs]   # what ipset names keep
        if len(set(prefixes)) < len(prefixes):
            raise InputError('two security groups share an ipset name '
                             '(first 24 characters)')
