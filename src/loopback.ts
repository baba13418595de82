import { isIPv4, isIPv6 } from 'node:net';

/**
 * Whether `address` (an IP literal, as a socket reports its peer) is a
 * loopback address: 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (isIPv4(address)) return address.startsWith('127.');
  if (!isIPv6(address)) return false;
  const lower = address.toLowerCase();
  if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  return mapped !== undefined && isLoopbackAddress(mapped);
}

/** Whether listening on `host` (HOST) reaches the loopback interface only: a loopback literal or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
}
