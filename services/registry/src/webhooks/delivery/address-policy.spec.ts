import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAllowedAddress, isPublicAddress, parseCidr } from './address-policy';

const closed = { allowPrivateIps: false, allowedNetworks: [] as string[] };

describe('which addresses a webhook may reach', () => {
  const table: [string, boolean, string][] = [
    ['8.8.8.8', true, 'public IPv4'],
    ['1.1.1.1', true, 'public IPv4'],
    ['192.88.99.1', true, 'former 6to4 relay anycast, global for Python'],
    ['127.0.0.1', false, 'loopback'],
    ['127.255.255.254', false, 'loopback'],
    ['10.1.2.3', false, 'private'],
    ['172.16.0.1', false, 'private'],
    ['172.31.255.255', false, 'private'],
    ['172.32.0.1', true, 'just past 172.16/12'],
    ['192.168.1.1', false, 'private'],
    ['169.254.169.254', false, 'cloud metadata (link-local)'],
    ['100.64.0.1', false, 'carrier-grade NAT'],
    ['100.127.255.255', false, 'carrier-grade NAT'],
    ['100.128.0.1', true, 'just past 100.64/10'],
    ['0.0.0.0', false, 'unspecified'],
    ['0.1.2.3', false, '"this network"'],
    ['224.0.0.1', false, 'multicast'],
    ['239.255.255.250', false, 'multicast'],
    ['240.0.0.1', false, 'reserved'],
    ['255.255.255.255', false, 'broadcast'],
    ['192.0.2.1', false, 'documentation'],
    ['198.51.100.7', false, 'documentation'],
    ['203.0.113.9', false, 'documentation'],
    ['198.18.0.1', false, 'benchmarking'],
    ['192.0.0.1', false, 'IETF protocol assignments'],
    ['2606:4700:4700::1111', true, 'public IPv6'],
    ['2001:4860:4860::8888', true, 'public IPv6'],
    ['::1', false, 'IPv6 loopback'],
    ['::', false, 'IPv6 unspecified'],
    ['fc00::1', false, 'unique local'],
    ['fd12:3456::1', false, 'unique local'],
    ['fe80::1', false, 'IPv6 link-local'],
    ['fe80::1%eth0', false, 'IPv6 link-local with a zone'],
    ['ff02::1', false, 'IPv6 multicast'],
    ['fec0::1', false, 'deprecated site-local'],
    ['2001:db8::1', false, 'IPv6 documentation'],
    ['2001::1', false, 'Teredo'],
    ['100::1', false, 'discard-only'],
    ['::ffff:127.0.0.1', false, 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', false, 'IPv4-mapped loopback, hex'],
    ['::ffff:169.254.169.254', false, 'IPv4-mapped metadata'],
    ['::ffff:8.8.8.8', true, 'IPv4-mapped public'],
    ['2002:a00:1::', false, '6to4 of 10.0.0.1'],
    ['2002:808:808::', true, '6to4 of 8.8.8.8'],
    ['64:ff9b::a9fe:a9fe', false, 'NAT64 of 169.254.169.254'],
    ['64:ff9b::808:808', true, 'NAT64 of 8.8.8.8'],
    ['::127.0.0.1', false, 'IPv4-compatible (deprecated)'],
    ['not-an-ip', false, 'not an address'],
    ['999.1.1.1', false, 'not an address'],
  ];
  for (const [ip, allowed, what] of table) {
    it(`${ip} (${what}) is ${allowed ? 'allowed' : 'refused'}`, () => {
      assert.equal(isPublicAddress(ip), allowed);
      assert.equal(isAllowedAddress(ip, closed), allowed);
    });
  }

  it('allows any address when private addresses are allowed', () => {
    for (const ip of ['127.0.0.1', '169.254.169.254', '::1', '10.0.0.1']) {
      assert.equal(isAllowedAddress(ip, { allowPrivateIps: true, allowedNetworks: [] }), true);
    }
  });

  it('allows the addresses inside an allow-listed network, and only those', () => {
    const settings = { allowPrivateIps: false, allowedNetworks: ['127.0.0.0/8', '10.20.0.0/16', 'fd00:1::/32'] };
    assert.equal(isAllowedAddress('127.0.0.1', settings), true);
    assert.equal(isAllowedAddress('::ffff:127.0.0.1', settings), true);
    assert.equal(isAllowedAddress('10.20.3.4', settings), true);
    assert.equal(isAllowedAddress('10.21.3.4', settings), false);
    assert.equal(isAllowedAddress('fd00:1::5', settings), true);
    assert.equal(isAllowedAddress('fd00:2::5', settings), false);
    assert.equal(isAllowedAddress('169.254.169.254', settings), false);
    assert.equal(isAllowedAddress('8.8.8.8', settings), true);
  });

  it('reads CIDR networks, IPv4 and IPv6', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    assert.deepEqual(parseCidr(' fd00::/8 '), { address: 'fd00::', prefix: 8, family: 'ipv6' });
    for (const text of ['10.0.0.0', '10.0.0.0/33', 'fd00::/129', 'example.com/8', '10.0.0/8', '/8', '']) {
      assert.equal(parseCidr(text), null, text);
    }
  });
});
