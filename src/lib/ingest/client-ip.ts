import { BlockList, isIP } from 'node:net';
import { LruMap } from './lru.js';

/** Loopback only: a reverse proxy on the same host. Anything else must be configured. */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** The proxies whose `X-Forwarded-For` we believe (`TRUSTED_PROXIES`). */
export class TrustedProxies {
  /** BlockList.check builds a SocketAddress per call; the peers asking are few (the proxies themselves). */
  private readonly verdicts = new LruMap<string, boolean>(1024);

  private constructor(private readonly list: BlockList) {}

  /** Parses CIDRs or bare addresses (IPv4, IPv6, IPv4-mapped IPv6); throws naming the bad entry. */
  static parse(entries: readonly string[] = DEFAULT_TRUSTED_PROXIES): TrustedProxies {
    const list = new BlockList();
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
    }
    return new TrustedProxies(list);
  }

  has(ip: string): boolean {
    let trusted = this.verdicts.get(ip);
    if (trusted === undefined) {
      const address = normalizeIp(ip);
      const family = address ? isIP(address) : 0;
      trusted = !!address && family !== 0 && this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
      this.verdicts.set(ip, trusted);
    }
    return trusted;
  }
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
