import { BlockList, isIP } from 'node:net';
import { LruMap } from './lru.js';

/** Loopback only: a reverse proxy on the same host. Anything else must be configured. */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** An IPv4 subnet as numbers: `(address & mask) === base`. */
interface Ipv4Subnet {
  base: number;
  mask: number;
}

/** The IPv4-mapped IPv6 prefix ::ffff:0:0/96, as BlockList applies IPv6 rules to IPv4 addresses. */
const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** The proxies whose `X-Forwarded-For` we believe (`TRUSTED_PROXIES`). */
export class TrustedProxies {
  /**
   * IPv6 verdicts from BlockList (which builds a SocketAddress per check), cached. IPv4 — nearly every
   * hop — is matched as numbers instead: every X-Forwarded-For hop is checked, and hops are as many as
   * visitors, so a cache of them would only churn.
   */
  private readonly ipv6Verdicts = new LruMap<string, boolean>(1024);

  private constructor(
    private readonly list: BlockList,
    private readonly ipv4: readonly Ipv4Subnet[],
  ) {}

  /** Parses CIDRs or bare addresses (IPv4, IPv6, IPv4-mapped IPv6); throws naming the bad entry. */
  static parse(entries: readonly string[] = DEFAULT_TRUSTED_PROXIES): TrustedProxies {
    const list = new BlockList();
    const ipv4: Ipv4Subnet[] = [];
    for (const entry of entries.map((e) => e.trim()).filter((e) => e !== '')) {
      const [rawAddress = '', prefixText, ...rest] = entry.split('/');
      const address = normalizeIp(rawAddress);
      const family = address ? isIP(address) : 0;
      const maxPrefix = family === 4 ? 32 : 128;
      // An IPv4-mapped CIDR (::ffff:10.0.0.0/104) becomes the IPv4 CIDR it means.
      const mappedShift = family === 4 && rawAddress.includes(':') ? 96 : 0;
      const prefix = prefixText === undefined ? maxPrefix : Number(prefixText) - mappedShift;
      if (!address || family === 0 || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) {
        throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`);
      }
      list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
      const asIpv4 = family === 4 ? ipv4Subnet(parseIpv4(address), prefix) : ipv4PartOf(address, prefix);
      if (asIpv4) ipv4.push(asIpv4);
    }
    return new TrustedProxies(list, ipv4);
  }

  has(ip: string): boolean {
    const v4 = parseIpv4(ip);
    if (v4 !== -1) return this.ipv4.some((subnet) => ((v4 & subnet.mask) >>> 0) === subnet.base);
    let trusted = this.ipv6Verdicts.get(ip);
    if (trusted === undefined) {
      const address = normalizeIp(ip);
      const family = address ? isIP(address) : 0;
      trusted = !!address && family !== 0 && this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
      this.ipv6Verdicts.set(ip, trusted);
    }
    return trusted;
  }
}

function ipv4Subnet(address: number, prefix: number): Ipv4Subnet {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (address & mask) >>> 0, mask };
}

/** The IPv4 addresses an IPv6 rule covers through the IPv4-mapped range, if any. */
function ipv4PartOf(ipv6: string, prefix: number): Ipv4Subnet | undefined {
  const bytes = parseIpv6(ipv6);
  if (!bytes) return undefined;
  // The rule's fixed bits over the first 96 must all agree with ::ffff:0:0.
  for (let bit = 0; bit < Math.min(prefix, 96); bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((bytes[byte]! & mask) !== (IPV4_MAPPED_PREFIX[byte]! & mask)) return undefined;
  }
  const tail = ((bytes[12]! << 24) | (bytes[13]! << 16) | (bytes[14]! << 8) | bytes[15]!) >>> 0;
  return ipv4Subnet(tail, Math.max(prefix - 96, 0));
}

/** A canonical dotted IPv4 address as a 32-bit number, or -1 (anything else, IPv6 included). */
export function parseIpv4(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      // No leading zeros, as net.isIP: "01.2.3.4" is not an address.
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (code - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (code === 46 && digits > 0 && dots < 3) {
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + part : -1;
}

/** 16 bytes of an IPv6 address in net.isIP's syntax (`::` compression, a trailing dotted IPv4), or undefined. */
function parseIpv6(text: string): number[] | undefined {
  if (isIP(text) !== 6) return undefined;
  const [head = '', tail] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const words = (parts: string[]) =>
    parts.flatMap((group) => {
      const v4 = parseIpv4(group);
      return v4 === -1 ? [parseInt(group, 16)] : [v4 >>> 16, v4 & 0xffff];
    });
  const left = words(groups(head));
  const right = tail === undefined ? [] : words(groups(tail));
  const all = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((word) => [word >> 8, word & 255]);
}

/**
 * The visitor's address: the socket peer, unless the peer is a trusted proxy, in which case the
 * `X-Forwarded-For` chain is walked right to left past trusted hops and the first untrusted address wins.
 * Entries left of that were written by the client and may be forged, so they are never read.
 */
export function clientIp(
  remoteAddress: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trusted: TrustedProxies,
): string {
  const peer = normalizeIp(remoteAddress ?? '') ?? '';
  if (!peer || !trusted.has(peer) || forwardedFor === undefined) return peer;
  if (typeof forwardedFor === 'string' && !forwardedFor.includes(',')) {
    // One hop (a single proxy in front), as on most installs: the same walk without the arrays.
    const hop = normalizeIp(forwardedFor.trim());
    return hop === null ? peer : hop;
  }

  // Several X-Forwarded-For headers are one list, in order (RFC 7230 §3.2.2).
  const hops = (typeof forwardedFor === 'string' ? [forwardedFor] : forwardedFor)
    .flatMap((header) => header.split(','))
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');

  let nearest = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i] ?? '');
    // Garbage where a trusted proxy should have written an address: trust stops at the last good hop.
    if (!hop) return nearest;
    if (!trusted.has(hop)) return hop;
    nearest = hop;
  }
  // Every hop is a trusted proxy: the leftmost is the best we know.
  return nearest;
}

/**
 * Canonical textual address: brackets and ports removed (`[::1]:80`, `1.2.3.4:5678` as some proxies
 * write them), IPv4-mapped IPv6 (`::ffff:1.2.3.4`, as dual-stack sockets report IPv4 peers) turned into
 * plain IPv4. Returns null when it is not an IP address.
 */
export function normalizeIp(text: string): string | null {
  // Nearly every address is a plain IPv4 one already; the rest are mostly the few socket peers
  // (`::ffff:127.0.0.1` behind a local proxy), so their answers are kept.
  if (parseIpv4(text) !== -1) return text;
  const known = normalized.get(text);
  if (known !== undefined) return known;
  const ip = normalizeSlowly(text);
  normalized.set(text, ip);
  return ip;
}

const normalized = new LruMap<string, string | null>(1024);

function normalizeSlowly(text: string): string | null {
  let ip = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed?.[1]) ip = bracketed[1];
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(ip)) ip = ip.slice(0, ip.lastIndexOf(':'));
  // Zone ids (fe80::1%eth0) do not identify a visitor.
  const zone = ip.indexOf('%');
  if (zone !== -1) ip = ip.slice(0, zone);

  const family = isIP(ip);
  if (family === 0) return null;
  if (family === 6) {
    const mapped = /^(?:::|(?:0{1,4}:){5})ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
    if (mapped?.[1] && isIP(mapped[1]) === 4) return mapped[1];
    const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
    if (mappedHex?.[1] && mappedHex[2]) {
      const hi = parseInt(mappedHex[1], 16);
      const lo = parseInt(mappedHex[2], 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
    return ip.toLowerCase();
  }
  return ip;
}
