import { lookup } from 'node:dns/promises';
import { isAllowedAddress } from './address-policy';
import type { WebhookSettings } from './webhook-settings';

/** The addresses a hostname resolves to, in the resolver's order. */
export type Resolver = (hostname: string) => Promise<string[]>;

/** MLflow gives a hostname's resolution five seconds. */
const RESOLUTION_TIMEOUT_MS = 5000;
const FIELD = 'Webhook URL';

export const resolveAll: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Why a webhook may not have `url`, in MLflow's words (its _validate_webhook_url), or null when it
 * may: a string, not blank, a scheme allowed, a hostname, and unless private addresses are allowed,
 * a hostname that resolves only to addresses a webhook may reach.
 */
export async function webhookUrlRefusal(
  url: unknown,
  settings: Pick<WebhookSettings, 'allowedSchemes' | 'allowPrivateIps' | 'allowedNetworks'>,
  resolve: Resolver = resolveAll,
): Promise<string | null> {
  const inspected = inspectUrl(url, settings);
  if ('refusal' in inspected) return inspected.refusal;
  if (settings.allowPrivateIps) return null;
  return resolutionRefusal(inspected.target, inspected.hostname, settings, resolve);
}

/** The refusals of webhookUrlRefusal that need no name resolution: what a URL is, whatever it resolves to. */
export function webhookUrlShapeRefusal(url: unknown, settings: Pick<WebhookSettings, 'allowedSchemes'>): string | null {
  const inspected = inspectUrl(url, settings);
  return 'refusal' in inspected ? inspected.refusal : null;
}

function inspectUrl(
  url: unknown,
  settings: Pick<WebhookSettings, 'allowedSchemes'>,
): { refusal: string } | { hostname: string; target: string } {
  if (typeof url !== 'string') {
    return { refusal: `Webhook URL must be a string, got ${pythonRepr(pythonTypeName(url))}` };
  }
  if (url.trim() === '') return { refusal: `Webhook URL cannot be empty or just whitespace: ${pythonRepr(url)}` };
  const parsed = splitUrl(url);
  if ('error' in parsed) {
    return { refusal: `Invalid webhook URL ${pythonRepr(url)}: ValueError(${pythonRepr(parsed.error)})` };
  }
  if (!settings.allowedSchemes.includes(parsed.scheme)) {
    return {
      refusal:
        `Invalid webhook URL scheme: ${pythonRepr(parsed.scheme)}. ` +
        `Allowed schemes are: ${settings.allowedSchemes.join(', ')}.`,
    };
  }
  const noHostname = { refusal: `Webhook URL must include a hostname: ${pythonRepr(url)}` };
  if (!parsed.hostname) return noHostname;
  // The sender connects to the hostname as WHATWG parses it: that one is resolved and checked.
  let target: string;
  try {
    target = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch (error) {
    return { refusal: `Invalid webhook URL ${pythonRepr(url)}: ${(error as Error).message}` };
  }
  return target ? { hostname: parsed.hostname, target } : noHostname;
}

/** Resolves `target`, the host connected to, naming it as `hostname`, as the URL spells it. */
async function resolutionRefusal(
  target: string,
  hostname: string,
  settings: Pick<WebhookSettings, 'allowPrivateIps' | 'allowedNetworks'>,
  resolve: Resolver,
): Promise<string | null> {
  let addresses: string[];
  try {
    addresses = await withTimeout(resolve(target), RESOLUTION_TIMEOUT_MS);
  } catch (error) {
    if (error instanceof ResolutionTimeout) {
      return `Timed out resolving ${FIELD} hostname ${pythonRepr(hostname)} after ${RESOLUTION_TIMEOUT_MS / 1000} seconds`;
    }
    return `Cannot resolve ${FIELD} hostname ${pythonRepr(hostname)}: ${resolutionFailure(error)}`;
  }
  if (addresses.length === 0) return `Cannot resolve ${FIELD} hostname ${pythonRepr(hostname)}: no addresses`;
  const refused = addresses.find((address) => !isAllowedAddress(address, settings));
  return refused === undefined
    ? null
    : `${FIELD} must not resolve to a non-public IP address. ${pythonRepr(hostname)} resolves to ${refused}.`;
}

class ResolutionTimeout extends Error {}

/** Python's words for the usual getaddrinfo failures (as MLflow's message shows them), else Node's. */
const GETADDRINFO_FAILURES: Readonly<Record<string, string>> = {
  ENOTFOUND: '[Errno -2] Name or service not known',
  EAI_AGAIN: '[Errno -3] Temporary failure in name resolution',
};

function resolutionFailure(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return (code && GETADDRINFO_FAILURES[code]) ?? message;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ResolutionTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The scheme and hostname as Python's urllib.parse.urlparse finds them, which MLflow's messages name. */
function splitUrl(url: string): { scheme: string; hostname: string | null } | { error: string } {
  // urlsplit drops leading C0 controls and spaces and removes tabs and newlines anywhere.
  let start = 0;
  while (start < url.length && url.charCodeAt(start) <= 0x20) start++;
  const text = url.slice(start).replace(/[\t\r\n]/g, '');
  let rest = text;
  let scheme = '';
  const colon = text.indexOf(':');
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(text.slice(0, colon))) {
    scheme = text.slice(0, colon).toLowerCase();
    rest = text.slice(colon + 1);
  }
  if (!rest.startsWith('//')) return { scheme, hostname: null };
  const netloc = /^\/\/([^/?#]*)/.exec(rest)![1];
  if (netloc.includes('[') !== netloc.includes(']')) return { error: 'Invalid IPv6 URL' };
  const host = netloc.slice(netloc.lastIndexOf('@') + 1);
  const bracketed = /^\[([^\]]*)\]/.exec(host);
  const hostname = (bracketed ? bracketed[1] : host.split(':')[0]).toLowerCase();
  return { scheme, hostname: hostname || null };
}

function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'dict' : typeof value;
}

/** A string as Python's repr() writes it, as MLflow's messages quote values. */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === quote) out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${quote}${out}${quote}`;
}
