import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canonicalIpv6,
  familyOf,
  formatIpv6,
  ipInCidrAnyFamily,
  isReservedIpv6,
  lastAddress6,
  mappedIpv4,
  parseCidr6,
  parseIpv6,
  prefixLength6,
} from '../../src/net/ip.js';

describe('IPv6 parsing', () => {
  const cases: Array<[string, bigint | undefined]> = [
    ['::', 0n],
    ['::1', 1n],
    ['0:0:0:0:0:0:0:1', 1n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', (1n << 128n) - 1n],
    ['2600:1f18::', 0x2600_1f18n << 96n],
    ['2600:1F18:0:0::5', (0x2600_1f18n << 96n) | 5n],
    ['fd00:ec2::253', (0xfd00_0ec2n << 96n) | 0x253n],
    ['::ffff:10.0.1.5', (0xffffn << 32n) | 0x0a000105n],
    ['64:ff9b::192.0.2.1', (0x64_ff9bn << 96n) | 0xc0000201n],
    ['1::', 1n << 112n],
    // malformed: two `::`, nine groups, a 5-digit group, zone id, brackets, an IPv4 literal, a bad dotted tail
    ['1::2::3', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4:5:6:7', undefined],
    ['1:2:3:4:5:6:7:8::', undefined],
    ['12345::', undefined],
    ['fe80::1%eth0', undefined],
    ['[::1]', undefined],
    ['10.0.1.5', undefined],
    ['::ffff:10.0.1.256', undefined],
    [':', undefined],
    [':::', undefined],
    ['', undefined],
    ['g::1', undefined],
  ];
  for (const [text, expected] of cases) {
    test(`parses ${JSON.stringify(text)} as ${expected === undefined ? 'invalid' : `0x${expected.toString(16)}`}`, () => {
      assert.equal(parseIpv6(text), expected);
    });
  }

  const canonical: Array<[string, string]> = [
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2600:1F18:0000:0000:0000:0000:0000:0005', '2600:1f18::5'],
    // the longest zero run is compressed, the first of equal runs, and never a single group
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::ffff:10.0.1.5', '::ffff:a00:105'],
  ];
  for (const [text, expected] of canonical) {
    test(`writes ${text} as ${expected} (RFC 5952)`, () => {
      assert.equal(canonicalIpv6(text), expected);
      assert.equal(parseIpv6(formatIpv6(parseIpv6(text)!)), parseIpv6(text));
    });
  }

  test('reads the IPv4 address out of an IPv4-mapped address, and nothing out of others', () => {
    assert.equal(mappedIpv4('::ffff:10.0.1.5'), '10.0.1.5');
    assert.equal(mappedIpv4('::ffff:a00:105'), '10.0.1.5');
    assert.equal(mappedIpv4('::a00:105'), undefined);
    assert.equal(mappedIpv4('2600:1f18::5'), undefined);
  });

  test('tells the family of an address or block', () => {
    assert.equal(familyOf('10.0.0.0/16'), 4);
    assert.equal(familyOf('2600:1f18::/56'), 6);
    assert.equal(familyOf('::ffff:10.0.0.1'), 6);
    assert.equal(familyOf('vpce'), undefined);
  });
});

describe('IPv6 CIDR blocks', () => {
  const vpc = '2600:1f18:4e2:ab00::/56';
  const subnet = '2600:1f18:4e2:ab01::/64';
  const contains: Array<[string, string, boolean]> = [
    // /0: everything of the family, nothing of the other
    ['2600:1f18::1', '::/0', true],
    ['::', '::/0', true],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::/0', true],
    ['10.0.1.5', '::/0', false],
    ['2600:1f18::1', '0.0.0.0/0', false],
    // /56 (a VPC's block): first and last address in, one past each edge out
    ['2600:1f18:4e2:ab00::', vpc, true],
    ['2600:1f18:4e2:abff:ffff:ffff:ffff:ffff', vpc, true],
    ['2600:1f18:4e2:aaff:ffff:ffff:ffff:ffff', vpc, false],
    ['2600:1f18:4e2:ac00::', vpc, false],
    // /64 (a subnet's block)
    ['2600:1f18:4e2:ab01::', subnet, true],
    ['2600:1f18:4e2:ab01:ffff:ffff:ffff:ffff', subnet, true],
    ['2600:1f18:4e2:ab00:ffff:ffff:ffff:ffff', subnet, false],
    ['2600:1f18:4e2:ab02::', subnet, false],
    // /128: exactly one address
    ['2600:1f18:4e2:ab01::15', '2600:1f18:4e2:ab01::15/128', true],
    ['2600:1f18:4e2:ab01::16', '2600:1f18:4e2:ab01::15/128', false],
    ['2600:1f18:4e2:ab01::14', '2600:1f18:4e2:ab01::15/128', false],
    // the same address written differently
    ['2600:1F18:04E2:AB01:0:0:0:15', '2600:1f18:4e2:ab01::15/128', true],
    // an IPv4-mapped address is an IPv6 address: IPv4 blocks never match it
    ['::ffff:10.0.1.5', '10.0.0.0/8', false],
    ['::ffff:10.0.1.5', '::ffff:0:0/96', true],
    // IPv4 still goes through the IPv4 helpers unchanged
    ['10.0.1.5', '10.0.0.0/8', true],
  ];
  for (const [ip, cidr, expected] of contains) {
    test(`${ip} ${expected ? 'is' : 'is not'} in ${cidr}`, () => {
      assert.equal(ipInCidrAnyFamily(ip, cidr), expected);
    });
  }

  for (const malformed of [
    '::/129',
    '::/',
    '::',
    '2600::/064',
    '2600::/-1',
    'x::/8',
    '2600::/56 ',
    '10.0.0.0/8',
  ]) {
    test(`rejects the malformed IPv6 CIDR ${JSON.stringify(malformed)}`, () => {
      assert.equal(parseCidr6(malformed), undefined);
    });
  }

  test('clears host bits and finds the last address of a block', () => {
    const block = parseCidr6('2600:1f18:4e2:ab01::15/56')!;
    assert.equal(formatIpv6(block.base), '2600:1f18:4e2:ab00::');
    assert.equal(formatIpv6(lastAddress6(block)), '2600:1f18:4e2:abff:ffff:ffff:ffff:ffff');
    assert.equal(formatIpv6(lastAddress6(parseCidr6('::/0')!)), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    assert.equal(prefixLength6('::/0'), 0);
    assert.equal(prefixLength6('2600::1/128'), 128);
  });

  test('never lets the agent connect to reserved IPv6 space, whatever a resolver answers', () => {
    for (const ip of [
      '::',
      '::1',
      '::ffff:10.0.1.5',
      'fe80::1',
      'ff02::1',
      'fd00:ec2::254',
      'fd00:ec2::253',
      'nonsense',
    ])
      assert.equal(isReservedIpv6(ip), true, ip);
    for (const ip of ['2600:1f18:4e2:ab01::15', 'fd00:ec3::1', 'fd12:3456::5'])
      assert.equal(isReservedIpv6(ip), false, ip);
  });
});
