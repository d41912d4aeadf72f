#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real: the OpenStack clients
# (neutron, openstack), tempest and neutron-tempest-plugin (their tests, `tempest` and stestr; test/tempest/runner.ts
# writes tempest.conf itself), iptables/ipset/iproute2/keepalived and procps (sysctl) for
# the kernel tests, python3-neutron for the real neutron-server the tests compare against
# (test/support/neutron-server.ts), openvswitch-common (ovsdb-server), openvswitch-switch
# (ovs-vswitchd, run userspace-only by the openvswitch trace test) and ovn-central (the OVN
# schemas, ovn-nbctl, ovn-northd, ovn-trace) for the OVS and OVN golden fixtures and oracles,
# chromium for the console's end-to-end test.
# Needs root when something is missing. The tests start every daemon they need themselves, in
# temp dirs: installing must not start the packages' system services, so while apt runs a
# policy-rc.d refuses service starts (as container images do), unless the machine has its own.
set -euo pipefail
packages=(python3-neutronclient python3-openstackclient tempest neutron-tempest-plugin python3-openstacksdk python3-pytest iptables ipset iproute2 keepalived python3-neutron openvswitch-common openvswitch-switch ovn-central procps chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "the tests need Debian packages: ${missing[*]} (run the tests as root, or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq "${missing[@]}" </dev/null
