/** The pure model: address parsing and interval math, pools, pairs and rule semantics. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { broadcast, canonicalMac, formatCidr, formatIp, network, parseCidr, parseIp } from '../src/model/addresses.js';
import { addressPairsInput, resolvePairs } from '../src/model/allowed-address-pairs.js';
import { NeutronError } from '../src/model/errors.js';
import { defaultGateway, formatPools, generatePools, pickFreeIp } from '../src/model/ipam.js';
import { portRevisionBump } from '../src/model/port.js';
import { seededRandom } from '../src/model/random.js';
import { canonicalRule, type RuleInput, ruleKey } from '../src/model/security-group-rule.js';

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof NeutronError) return { status: e.status, type: e.type, message: e.message };
    throw e;
  }
  throw new Error('no error');
};

describe('addresses', () => {
  test('IPv4 needs four decimal octets without leading zeros', () => {
    expect(parseIp('10.1.1.2')?.family).toBe(4);
    for (const bad of ['10.1.1', '10.1.1.300', '010.1.1.2', ' 10.1.1.2', 'foo', '', 'fe80::1%eth0']) expect(parseIp(bad)).toBeUndefined();
  });

  test('format(parse(x)) is the identity on canonical addresses', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
      const p = parseIp(ip)!;
      expect(parseIp(formatIp(p.family, p.value))?.value).toBe(p.value);
    }));
  });

  test('CIDRs keep host bits; network and broadcast clear and set them', () => {
    const c = parseCidr('10.1.1.5/28')!;
    expect(formatCidr(c)).toBe('10.1.1.5/28');
    expect(formatIp(4, network(c))).toBe('10.1.1.0');
    expect(formatIp(4, broadcast(c))).toBe('10.1.1.15');
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(formatCidr(parseCidr('10.20.30.40', true)!)).toBe('10.20.30.40/32');
  });

  test('MACs: netaddr forms are accepted, all-zero and broadcast are not', () => {
    expect(canonicalMac('FA-16-3E-AA-BB-CD')).toBe('fa:16:3e:aa:bb:cd');
    expect(canonicalMac('fa16.3eaa.bbcd')).toBe('fa:16:3e:aa:bb:cd');
    expect(canonicalMac('00:00:00:00:00:00')).toBeUndefined();
    expect(canonicalMac('zz:zz')).toBeUndefined();
  });
});

describe('ipam', () => {
  test('default pools as Zed computes them', () => {
    const v4 = parseCidr('10.1.1.0/24')!;
    expect(formatPools(v4, generatePools(v4, defaultGateway(v4)))).toEqual([{ start: '10.1.1.2', end: '10.1.1.254' }]);
    const v6 = parseCidr('fd00:1::/64')!;
    expect(formatPools(v6, generatePools(v6, defaultGateway(v6)))).toEqual([{ start: 'fd00:1::1', end: 'fd00:1::ffff:ffff:ffff:ffff' }]);
  });

  test('a picked address is free and inside the pools', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.nat(), (n, seed) => {
      const used = new Set(Array.from({ length: n }, (_, i) => BigInt(10 + 2 * i)));
      const ip = pickFreeIp([{ start: 10n, end: 120n }], used, seededRandom(seed))!;
      expect(used.has(ip)).toBe(false);
      expect(ip >= 10n && ip <= 120n).toBe(true);
    }));
    expect(pickFreeIp([{ start: 1n, end: 2n }], new Set([1n, 2n]))).toBeUndefined();
  });
});

describe('allowed address pairs', () => {
  const validate = (v: unknown) => errorOf(() => addressPairsInput.parse(v));

  test('neutron-lib\'s order and messages', () => {
    expect(validate({ ip_address: '10.1.1.3' }).message).toBe('Allowed address pairs must be a list.');
    expect(validate(Array(11).fill({ ip_address: '10.1.1.3' })).type).toBe('AllowedAddressPairExhausted');
    expect(validate(['10.1.1.3']).message).toBe("Invalid input for allowed_address_pairs. Reason: '10.1.1.3' is not a dictionary.");
    expect(validate([{ ip_address: '10.1.1.3', mac_address: 'not-a-mac' }]).message).toBe("'not-a-mac' is not a valid MAC address");
    expect(validate([{ mac_address: 'fa:16:3e:00:00:01' }]).type).toBe('AllowedAddressPairsMissingIP');
    expect(validate([{ ip_address: '10.1.1.2' }, { ip_address: '10.1.1.2' }]).message)
      .toBe('Request contains duplicate address pair: mac_address None ip_address 10.1.1.2.');
    expect(validate([{ ip_address: '10.1.1.0/40' }]).message).toBe("'10.1.1.0/40' is not a valid IP subnet");
  });

  test('"" and null clear; a pair without a MAC takes the port\'s', () => {
    expect(addressPairsInput.parse('')).toEqual([]);
    expect(addressPairsInput.parse(null)).toEqual([]);
    expect(resolvePairs([{ ip_address: '0.0.0.0/0' }], 'fa:16:3e:00:00:09')).toEqual([{ ip_address: '0.0.0.0/0', mac_address: 'fa:16:3e:00:00:09' }]);
    expect(errorOf(() => resolvePairs([{ ip_address: '10.1.1.2' }, { ip_address: '10.1.1.2', mac_address: 'fa:16:3e:00:00:09' }], 'fa:16:3e:00:00:09')).type)
      .toBe('DuplicateAddressPairInRequest');
  });
});

describe('security group rules', () => {
  const rule = (r: Partial<RuleInput>): RuleInput => ({
    direction: 'ingress', ethertype: 'IPv4', protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null,
    remote_address_group_id: null, ...r,
  });

  test('canonical forms: IPv6 ICMP name, the whole port range dropped', () => {
    expect(canonicalRule(rule({ ethertype: 'IPv6', protocol: 'icmp' })).protocol).toBe('ipv6-icmp');
    expect(canonicalRule(rule({ protocol: 'tcp', port_range_min: 1, port_range_max: 65535 }))).toMatchObject({ port_range_min: null, port_range_max: null });
  });

  test('checks in Neutron\'s order', () => {
    expect(errorOf(() => canonicalRule(rule({ port_range_min: 80, port_range_max: 80 }))).type).toBe('SecurityGroupProtocolRequiredWithPorts');
    expect(errorOf(() => canonicalRule(rule({ protocol: 'tcp', port_range_min: 8080 }))).type).toBe('SecurityGroupInvalidPortRange');
    expect(errorOf(() => canonicalRule(rule({ protocol: 'icmp', port_range_max: 0 }))).type).toBe('SecurityGroupMissingIcmpType');
    expect(errorOf(() => canonicalRule(rule({ protocol: 'gre', port_range_min: 1, port_range_max: 2 }))).type).toBe('SecurityGroupInvalidProtocolForPort');
    expect(errorOf(() => canonicalRule(rule({ ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' }))).message).toBe('Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8');
    expect(errorOf(() => canonicalRule(rule({ protocol: 'ipv6-icmp' }))).type).toBe('SecurityGroupEthertypeConflictWithProtocol');
    expect(errorOf(() => canonicalRule(rule({ remote_ip_prefix: '10.0.0.0/8', remote_group_id: 'x' }))).type).toBe('SecurityGroupMultipleRemoteEntites');
  });

  test('duplicates: protocol name or number, any-prefix or none; raw prefixes otherwise', () => {
    const key = (r: Partial<RuleInput>) => ruleKey({ ...rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, ...r }), security_group_id: 'g' });
    expect(key({ protocol: '6' })).toBe(key({}));
    expect(key({ remote_ip_prefix: '0.0.0.0/0' })).toBe(key({}));
    expect(key({ remote_ip_prefix: '10.10.10.5/24' })).not.toBe(key({ remote_ip_prefix: '10.10.10.0/24' }));
  });
});

test('port revision bumps as measured on Zed', () => {
  expect(portRevisionBump({}, [], [])).toBe(0);
  expect(portRevisionBump({ name: 'same' }, [], [])).toBe(1);
  expect(portRevisionBump({ security_groups: [] }, [], [])).toBe(0);
  expect(portRevisionBump({ security_groups: ['a'] }, [], ['a'])).toBe(2);
  expect(portRevisionBump({ security_groups: ['b'] }, ['a'], ['b'])).toBe(1);
});
