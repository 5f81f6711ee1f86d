/**
 * The client's IP address. X-Forwarded-For is honoured only through proxies the operator
 * named (FOOTPRINT_TRUSTED_PROXIES): the header is walked right to left, skipping trusted
 * hops, and the first untrusted address is the client. Otherwise anyone could forge it.
 */
import { BlockList, isIP } from 'node:net';

export type TrustedProxies = BlockList | null;

/** Builds the trusted-proxy list from entries like `127.0.0.1`, `10.0.0.0/8`, `::1`. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [addr = '', bits, extra] = entry.split('/');
    if (extra !== undefined) throw new Error(`FOOTPRINT_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (isIP(addr) === 0) throw new Error(`FOOTPRINT_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    if (bits === undefined) {
      list.addAddress(addr, family);
      continue;
    }
    const max = family === 'ipv6' ? 128 : 32;
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) {
      throw new Error(`FOOTPRINT_TRUSTED_PROXIES: "${entry}" has a prefix length that is not a whole number from 0 to ${max}`);
    }
    list.addSubnet(addr, Number(bits), family);
  }
  return list;
}

function normalize(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

function isTrusted(list: BlockList, addr: string): boolean {
  const family = isIP(addr);
  return family !== 0 && list.check(addr, family === 6 ? 'ipv6' : 'ipv4');
}

export function clientIp(
  socketAddr: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: TrustedProxies,
): string | null {
  const peer = socketAddr ? normalize(socketAddr) : null;
  if (!trusted || !peer || !forwardedFor || !isTrusted(trusted, peer)) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalize((hops[i] ?? '').trim());
    if (isIP(hop) === 0) return peer;
    if (!isTrusted(trusted, hop)) return hop;
  }
  return normalize((hops[0] ?? '').trim()) || peer;
}
