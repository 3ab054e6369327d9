import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  boundaryAddresses,
  cidrCovers,
  formatIpv4,
  hostPort,
  ipInCidr,
  isPrivateIpv4,
  parseCidr,
  parseIpv4,
  prefixLength,
} from '../../src/net/ip.js';

describe('IPv4 parsing', () => {
  const cases: Array<[string, number | undefined]> = [
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['10.0.1.10', 0x0a00010a],
    ['256.0.0.1', undefined],
    ['10.0.1', undefined],
    ['10.0.1.1.1', undefined],
    ['010.0.0.1', undefined],
    [' 10.0.0.1', undefined],
    ['10.0.0.-1', undefined],
    ['a.b.c.d', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of cases) {
    test(`parses ${JSON.stringify(text)} as ${expected === undefined ? 'invalid' : expected}`, () => {
      assert.equal(parseIpv4(text), expected);
    });
  }

  test('formats the broadcast address back to dotted quad without sign errors', () => {
    assert.equal(formatIpv4(0xffffffff), '255.255.255.255');
    assert.equal(formatIpv4(parseIpv4('192.168.200.1')!), '192.168.200.1');
  });
});

describe('CIDR blocks', () => {
  const contains: Array<[string, string, boolean]> = [
    ['10.0.1.10', '10.0.0.0/8', true],
    ['11.0.0.0', '10.0.0.0/8', false],
    ['10.0.1.10', '10.0.1.10/32', true],
    ['10.0.1.11', '10.0.1.10/32', false],
    ['255.255.255.255', '0.0.0.0/0', true],
    ['0.0.0.0', '0.0.0.0/0', true],
    ['255.255.255.255', '255.255.255.255/32', true],
    ['255.255.255.254', '255.255.255.255/32', false],
    ['52.217.255.255', '52.216.0.0/15', true],
    ['52.218.0.0', '52.216.0.0/15', false],
  ];
  for (const [ip, cidr, expected] of contains) {
    test(`${ip} ${expected ? 'is' : 'is not'} in ${cidr}`, () => {
      assert.equal(ipInCidr(ip, cidr), expected);
    });
  }

  for (const malformed of [
    '10.0.0.0/33',
    '10.0.0.0/',
    '10.0.0.0',
    '10.0.0/8',
    '10.0.0.0/-1',
    '10.0.0.0/08',
    'x/8',
    '10.0.0.0/8 ',
  ]) {
    test(`rejects the malformed CIDR ${JSON.stringify(malformed)}`, () => {
      assert.equal(parseCidr(malformed), undefined);
      assert.equal(ipInCidr('10.0.0.1', malformed), false);
    });
  }

  test('clears host bits the way AWS stores a block', () => {
    assert.equal(formatIpv4(parseCidr('10.0.1.10/16')!.base), '10.0.0.0');
  });

  test('reports the prefix length of /0 and /32', () => {
    assert.equal(prefixLength('0.0.0.0/0'), 0);
    assert.equal(prefixLength('10.0.12.40/32'), 32);
  });

  test('a /8 covers a /16 inside it but not the other way round', () => {
    assert.equal(cidrCovers(parseCidr('10.0.0.0/8')!, parseCidr('10.1.0.0/16')!), true);
    assert.equal(cidrCovers(parseCidr('10.1.0.0/16')!, parseCidr('10.0.0.0/8')!), false);
  });

  test('tells RFC 1918 space from public space', () => {
    assert.equal(isPrivateIpv4('172.31.5.5'), true);
    assert.equal(isPrivateIpv4('172.32.0.1'), false);
    assert.equal(isPrivateIpv4('52.216.4.1'), false);
  });
});

describe('boundary addresses', () => {
  test('splits a block where a more specific block starts and ends', () => {
    assert.deepEqual(boundaryAddresses('52.216.0.0/15', ['52.216.8.0/24', '0.0.0.0/0']), [
      '52.216.0.0',
      '52.216.8.0',
      '52.216.9.0',
    ]);
  });

  test('a block with no overlapping rule is represented by its first address only', () => {
    assert.deepEqual(boundaryAddresses('3.5.0.0/19', ['10.0.0.0/16']), ['3.5.0.0']);
  });

  test('a block ending at 255.255.255.255 does not overflow', () => {
    assert.deepEqual(boundaryAddresses('255.255.255.0/24', ['255.255.255.255/32']), [
      '255.255.255.0',
      '255.255.255.255',
    ]);
  });
});

describe('address and port', () => {
  test('an IPv6 address goes in brackets, so its port is not read as its last group', () => {
    assert.equal(hostPort('fd10:0:0:11::115', 443), '[fd10:0:0:11::115]:443');
    assert.equal(hostPort('10.0.11.20', 443), '10.0.11.20:443');
  });
});
