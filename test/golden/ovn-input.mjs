// The OVN fixtures' input for a topology written for the iptables fixtures:
// the same groups, ports and events, with options.driver "ovn". The iptables
// options (enable_ipset, host, use_ipv6) mean nothing to the OVN driver,
// which writes every port into the Northbound database wherever it is bound.

const clone = (o) => JSON.parse(JSON.stringify(o));

export function ovnInput(topology) {
  return { ...clone(topology), options: { driver: 'ovn' } };
}
