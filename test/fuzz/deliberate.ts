/**
 * The deliberate differences from Zed (the README's "Deliberate differences from Zed"
 * says the same for users), in one place. The fuzzer does not send these requests:
 * each would be a difference, and every later answer that shows what it changed
 * would differ too. Every other difference is a class to fix.
 */
export const DELIBERATE: { request: string; reason: string }[] = [
  {
    request: 'PUT /v2.0/security-group-rules/{id}',
    reason: 'answers 500 on Zed (ML2 lacks update_security_group_rule); portsec updates the rule\'s description',
  },
  {
    request: 'a port\'s "allowed_address_pairs": ""',
    reason: 'Zed answers 400; portsec clears the pairs, as the Havana-era `neutron port-update --allowed-address-pairs \'\'` expects',
  },
  {
    request: 'GET /v2.0/extensions',
    reason: 'portsec advertises only the extensions it implements',
  },
];
