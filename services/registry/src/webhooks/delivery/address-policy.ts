import { BlockList, isIP, isIPv4 } from 'node:net';
import type { WebhookSettings } from './webhook-settings';

/**
 * IPv4 ranges that are not globally reachable: the networks Python's `ipaddress` does not call
 * `is_global` (MLflow's test of a webhook's address), with multicast added.
 */
const NON_PUBLIC_IPV4: readonly string[] = [
  '0.0.0.0/8', // "this network", unspecified
  '10.0.0.0/8', // private
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, cloud metadata 169.254.169.254
  '172.16.0.0/12', // private
  '192.0.0.0/29', // IETF protocol assignments
  '192.0.0.170/31', // NAT64 discovery
  '192.0.2.0/24', // documentation
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation
  '203.0.113.0/24', // documentation
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved
  '255.255.255.255/32', // broadcast
];

/** Inside 2000::/3, the only globally routed unicast IPv6 space, what Python's `ipaddress` calls private. */
const NON_PUBLIC_GLOBAL_UNICAST_IPV6: readonly string[] = [
  '2001::/23', // IETF protocol assignments (Teredo, benchmarking, ORCHID)
  '2001:db8::/32', // documentation
];

const nonPublic = blockListOf([...NON_PUBLIC_IPV4, ...NON_PUBLIC_GLOBAL_UNICAST_IPV6]);
const globalUnicastIpv6 = blockListOf(['2000::/3']);

/** Whether a webhook may reach `ip`: a public address, or any when private ones are allowed, or one allow-listed. */
export function isAllowedAddress(
  ip: string,
  settings: Pick<WebhookSettings, 'allowPrivateIps' | 'allowedNetworks'>,
): boolean {
  if (settings.allowPrivateIps) return true;
  const address = embeddedIpv4(ip) ?? withoutZone(ip);
  if (isIP(address) === 0) return false;
  if (isPublicAddress(address)) return true;
  return allowList(settings.allowedNetworks).check(address, family(address));
}

const allowLists = new WeakMap<readonly string[], BlockList>();

function allowList(networks: readonly string[]): BlockList {
  let list = allowLists.get(networks);
  if (!list) {
    list = blockListOf(networks);
    allowLists.set(networks, list);
  }
  return list;
}

/**
 * Whether `ip` is globally reachable. An IPv6 address that carries an IPv4 one (IPv4-mapped,
 * 6to4, NAT64) is judged by the IPv4 address it carries, as MLflow does, so a wrapped private
 * address cannot pass for a public one.
 */
export function isPublicAddress(ip: string): boolean {
  const address = embeddedIpv4(ip) ?? withoutZone(ip);
  if (isIPv4(address)) return !nonPublic.check(address, 'ipv4');
  if (isIP(address) !== 6) return false;
  return globalUnicastIpv6.check(address, 'ipv6') && !nonPublic.check(address, 'ipv6');
}

/** A CIDR network, `address/prefix`, IPv4 or IPv6; null when `text` is not one. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!match) return null;
  const [, address, prefixText] = match;
  const version = isIP(address);
  const prefix = Number(prefixText);
  if (version === 0 || prefix > (version === 4 ? 32 : 128)) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockListOf(networks: readonly string[]): BlockList {
  const list = new BlockList();
  for (const network of networks) {
    const cidr = parseCidr(network);
    if (!cidr) throw new Error(`not a CIDR network: ${network}`);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return list;
}

function family(address: string): 'ipv4' | 'ipv6' {
  return isIPv4(address) ? 'ipv4' : 'ipv6';
}

function withoutZone(ip: string): string {
  const zone = ip.indexOf('%');
  return zone === -1 ? ip : ip.slice(0, zone);
}

/** The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), 6to4 (2002::/16) or NAT64 (64:ff9b::/96) address. */
function embeddedIpv4(ip: string): string | null {
  const bytes = ipv6Bytes(withoutZone(ip));
  if (!bytes) return null;
  const isMapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  const isNat64 = bytes.readUInt32BE(0) === 0x0064ff9b && bytes.subarray(4, 12).every((byte) => byte === 0);
  if (isMapped || isNat64) return bytes.subarray(12, 16).join('.');
  if (bytes.readUInt16BE(0) === 0x2002) return bytes.subarray(2, 6).join('.');
  return null;
}

/** The 16 bytes of an IPv6 address (`::` shorthand and a trailing dotted IPv4 part allowed); null if not one. */
function ipv6Bytes(ip: string): Buffer | null {
  if (isIP(ip) !== 6) return null;
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array(missing).fill('0'), ...groups(tail)];
  const bytes = Buffer.alloc(16);
  all.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
  return bytes;
}
