import { describe, expect, it } from 'vitest';
import { BlockList, isIP } from 'node:net';
import { TrustedProxies, clientIp, normalizeIp, parseIpv4 } from '../../../src/lib/ingest/client-ip.js';

const loopbackOnly = TrustedProxies.parse();
const behindLoadBalancer = TrustedProxies.parse(['127.0.0.1/32', '::1/128', '10.0.0.0/8', 'fd00::/8']);

describe('normalizeIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['0:0:0:0:0:ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['1.2.3.4:5678', '1.2.3.4'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    [' 9.9.9.9 ', '9.9.9.9'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it.each(['', 'unknown', '1.2.3', '999.1.1.1', 'example.com', '_hidden'])('%j is not an address', (input) => {
    expect(normalizeIp(input)).toBeNull();
  });
});

describe('TrustedProxies.parse', () => {
  it('trusts loopback only by default', () => {
    expect(loopbackOnly.has('127.0.0.1')).toBe(true);
    expect(loopbackOnly.has('127.8.9.10')).toBe(true);
    expect(loopbackOnly.has('::1')).toBe(true);
    expect(loopbackOnly.has('::ffff:127.0.0.1')).toBe(true);
    expect(loopbackOnly.has('10.0.0.1')).toBe(false);
    expect(loopbackOnly.has('8.8.8.8')).toBe(false);
  });

  it('reads IPv4 and IPv6 CIDRs, bare addresses and IPv4-mapped CIDRs', () => {
    const trusted = TrustedProxies.parse(['192.168.1.0/24', '2001:db8::/32', '203.0.113.7', '::ffff:172.16.0.0/108']);
    expect(trusted.has('192.168.1.200')).toBe(true);
    expect(trusted.has('192.168.2.1')).toBe(false);
    expect(trusted.has('2001:db8:abcd::1')).toBe(true);
    expect(trusted.has('2001:db9::1')).toBe(false);
    expect(trusted.has('203.0.113.7')).toBe(true);
    expect(trusted.has('203.0.113.8')).toBe(false);
    expect(trusted.has('172.16.5.5')).toBe(true);
    expect(trusted.has('172.32.0.1')).toBe(false);
  });

  it.each(['10.0.0.0/33', 'fd00::/129', 'nonsense', '10.0.0.0/8/1', '10.0.0.0/x'])('names the bad entry %s', (entry) => {
    expect(() => TrustedProxies.parse([entry])).toThrow(entry);
  });
});

describe('clientIp', () => {
  it('uses the socket address when there is no proxy', () => {
    expect(clientIp('203.0.113.9', undefined, loopbackOnly)).toBe('203.0.113.9');
    expect(clientIp('::ffff:203.0.113.9', undefined, loopbackOnly)).toBe('203.0.113.9');
  });

  it('ignores X-Forwarded-For from an untrusted peer (a client spoofing its address)', () => {
    expect(clientIp('203.0.113.9', '1.1.1.1', loopbackOnly)).toBe('203.0.113.9');
    expect(clientIp('203.0.113.9', '127.0.0.1', loopbackOnly)).toBe('203.0.113.9');
  });

  it('believes X-Forwarded-For from a trusted local reverse proxy', () => {
    expect(clientIp('127.0.0.1', '198.51.100.4', loopbackOnly)).toBe('198.51.100.4');
    expect(clientIp('::ffff:127.0.0.1', '2001:db8::42', loopbackOnly)).toBe('2001:db8::42');
  });

  it('takes the rightmost untrusted hop, so a forged leftmost entry is ignored', () => {
    // The client sent "X-Forwarded-For: 6.6.6.6"; nginx appended the real peer.
    expect(clientIp('127.0.0.1', '6.6.6.6, 198.51.100.4', loopbackOnly)).toBe('198.51.100.4');
  });

  it('walks past every trusted hop in a chain of proxies', () => {
    const xff = '6.6.6.6, 198.51.100.4, 10.0.0.7, 10.1.2.3';
    expect(clientIp('10.9.9.9', xff, behindLoadBalancer)).toBe('198.51.100.4');
    // Only loopback trusted: the 10.x hops are not ours, so the nearest one is the client as far as we know.
    expect(clientIp('127.0.0.1', xff, loopbackOnly)).toBe('10.1.2.3');
  });

  it('reads several X-Forwarded-For headers as one list', () => {
    expect(clientIp('10.0.0.1', ['6.6.6.6', '198.51.100.4, 10.0.0.5'], behindLoadBalancer)).toBe('198.51.100.4');
  });

  it('handles ports and brackets that some proxies write', () => {
    expect(clientIp('127.0.0.1', '198.51.100.4:51234', loopbackOnly)).toBe('198.51.100.4');
    expect(clientIp('127.0.0.1', '[2001:db8::9]:443', loopbackOnly)).toBe('2001:db8::9');
  });

  it('stops at garbage instead of trusting what is left of it', () => {
    expect(clientIp('127.0.0.1', '198.51.100.4, unknown', loopbackOnly)).toBe('127.0.0.1');
    expect(clientIp('10.0.0.1', '198.51.100.4, garbage, 10.0.0.2', behindLoadBalancer)).toBe('10.0.0.2');
  });

  it('falls back to the peer when the header is empty, and to the leftmost hop when all are trusted', () => {
    expect(clientIp('127.0.0.1', '', loopbackOnly)).toBe('127.0.0.1');
    expect(clientIp('10.0.0.1', '10.0.0.3, 10.0.0.2', behindLoadBalancer)).toBe('10.0.0.3');
  });

  it('returns an empty string when the socket has no address (closed)', () => {
    expect(clientIp(undefined, '1.2.3.4', loopbackOnly)).toBe('');
  });
});

describe('IPv4 matching as numbers', () => {
  it.each([
    ['1.2.3.4', 0x01020304],
    ['255.255.255.255', 0xffffffff],
    ['0.0.0.0', 0],
    ['01.2.3.4', -1],
    ['1.2.3', -1],
    ['1.2.3.4.5', -1],
    ['256.1.1.1', -1],
    ['1..2.3', -1],
    ['1.2.3.4 ', -1],
    ['::1', -1],
  ])('parseIpv4(%j) = %d', (text, expected) => {
    expect(parseIpv4(text)).toBe(expected);
  });

  it('agrees with net.BlockList for IPv4 addresses, IPv6 rules over the IPv4-mapped range included', () => {
    const rules = ['10.0.0.0/8', '192.168.1.128/25', '0.0.0.0/32', '::ffff:172.16.0.0/108', '::ffff:a00:0/104', '::/0', '::ffff:0:0/96', '::1/128', '64:ff9b::/96', '2001:db8::/32', '::/1', '8000::/1'];
    const samples = ['10.1.2.3', '11.0.0.1', '192.168.1.129', '192.168.1.127', '0.0.0.0', '172.16.9.9', '172.32.0.1', '127.0.0.1', '8.8.8.8', '255.255.255.255'];
    for (const rule of rules) {
      const reference = new BlockList();
      const [address = '', prefix] = rule.split('/');
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      reference.addSubnet(address, Number(prefix), family);
      const trusted = TrustedProxies.parse([rule]);
      for (const sample of samples) expect([rule, sample, trusted.has(sample)]).toEqual([rule, sample, reference.check(sample, 'ipv4')]);
    }
  });
});
