"""The project's harness around Neutron 21's real iptables and openvswitch
firewall drivers, run offline: see test/golden/README.md. Call
import_neutron() before importing the modules that use Neutron (node,
topology, sources, ovs, ovs_node)."""

import os
import sys

# driver -> firewall_driver alias, agent binary (gives the iptables wrap
# name), where the agent gets its security-group information
DRIVERS = {
    'linuxbridge': ('iptables', 'neutron-linuxbridge-agent', 'server_rpc'),
    'ovs_hybrid': ('iptables_hybrid', 'neutron-openvswitch-agent',
                   'agent_shim'),
}
# the OVS agent's native firewall: flows, not iptables (neutron_ovs_driver.py)
OVS_DRIVERS = {
    'openvswitch': ('openvswitch', 'neutron-openvswitch-agent', 'agent_shim'),
}


def hash_seed_zero():
    """Re-run this process with PYTHONHASHSEED=0: the order of the Python
    sets inside Neutron reaches its command sequence."""
    if os.environ.get('PYTHONHASHSEED') != '0':
        os.environ['PYTHONHASHSEED'] = '0'
        os.execv(sys.executable, [sys.executable] + sys.argv)


def import_neutron(driver):
    """Import Neutron as the driver's agent. IptablesManager takes its wrap
    name from sys.argv[0] when first imported, so one process serves one
    driver."""
    binary = dict(DRIVERS, **OVS_DRIVERS)[driver][1]
    saved = sys.argv[0]
    sys.argv[0] = binary
    try:
        from neutron.agent.linux import iptables_manager
    finally:
        sys.argv[0] = saved
    if iptables_manager.binary_name != binary[:16]:
        raise RuntimeError('Neutron was already imported for another agent')
    from oslo_config import cfg
    from neutron.conf.agent import common as agent_conf
    from neutron.conf.agent import securitygroups_rpc as sg_conf
    from neutron.conf.agent.database import agents_db
    sg_conf.register_securitygroups_opts()
    agent_conf.register_root_helper(cfg.CONF)
    agent_conf.register_agent_state_opts_helper(cfg.CONF)
    agents_db.register_db_agents_opts()
    if driver in OVS_DRIVERS:
        from neutron.conf.plugins.ml2.drivers import ovs_conf
        ovs_conf.register_ovs_agent_opts()
    cfg.CONF(args=[], project='neutron', default_config_files=[],
             default_config_dirs=[])


def import_neutron_ovn(nb_remote):
    """Configure Neutron as the ML2/OVN driver talking to `nb_remote`."""
    from oslo_config import cfg
    from neutron.common import config
    from neutron.conf.agent import securitygroups_rpc as sg_conf
    from neutron.conf.plugins.ml2.drivers.ovn import ovn_conf
    config.register_common_config_options()
    sg_conf.register_securitygroups_opts()
    ovn_conf.register_opts()
    cfg.CONF(args=[], project='neutron', default_config_files=[],
             default_config_dirs=[])
    cfg.CONF.set_override('ovn_nb_connection', nb_remote, group='ovn')
