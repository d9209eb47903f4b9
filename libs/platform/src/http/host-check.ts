import { isIP } from 'node:net';
import { FastifyInstance } from 'fastify';
import { Logger } from 'pino';

/** MLflow's answer to a request whose Host is not allowed (mlflow/server/security_utils.py), word for word. */
export const INVALID_HOST_MESSAGE = 'Invalid Host header - possible DNS rebinding attack detected';

/** Probes reach these under whatever name they use; MLflow exempts /health and /version, readiness is ours. */
const UNCHECKED_PATHS = new Set(['/health', '/health/ready', '/version']);

const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]', '0.0.0.0'];
/** RFC 1918 and RFC 4193 ranges, as MLflow writes them. */
const PRIVATE_ADDRESSES = [
  '192.168.*',
  '10.*',
  ...Array.from({ length: 16 }, (_, i) => `172.${16 + i}.*`),
  'fc00:*',
  'fd00:*',
];

/** How `host` appears in a Host header: an IPv6 address in brackets. */
const asHostHeader = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

/** A literal name as a pattern that also matches it with any port; `[` is a character class otherwise. */
const withAnyPort = (name: string) => [name, `${name.replace('[', '[[]')}:*`];

/**
 * MLflow's default allowed hosts (the local names with and without a port, and the private address
 * ranges), plus the address this server was configured to listen on.
 */
export function defaultAllowedHosts(listenHost: string): string[] {
  const names = [...new Set([...LOCAL_NAMES, asHostHeader(listenHost)])];
  return [...names.flatMap(withAnyPort), ...PRIVATE_ADDRESSES];
}

/** Python's fnmatch as a regular expression: `*`, `?`, `[seq]`, `[!seq]`; an unclosed `[` is literal. */
function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      let end = i + 1;
      if (pattern[end] === '!') end++;
      if (pattern[end] === ']') end++;
      while (end < pattern.length && pattern[end] !== ']') end++;
      if (end >= pattern.length) {
        source += '\\[';
        continue;
      }
      const members = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      const negated = members.startsWith('!');
      const listed = negated ? members.slice(1) : members;
      source += `[${negated ? '^' : ''}${/^[\^[]/.test(listed) ? '\\' : ''}${listed}]`;
      i = end;
    } else source += char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^(?:${source})$`, 'is');
}

/**
 * Whether a Host header is allowed, by MLflow's rule: a pattern with `*` is a glob (fnmatch), any other
 * is compared whole, and `*` alone allows every host. Host names are compared without regard to case.
 */
export function hostMatcher(patterns: string[]): (host: string | undefined) => boolean {
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !p.includes('*')).map((p) => p.toLowerCase()));
  const globs = patterns.filter((p) => p.includes('*')).map(globToRegExp);
  return (host) => !!host && (exact.has(host.toLowerCase()) || globs.some((glob) => glob.test(host)));
}

/** Refuses, as MLflow does (403, plain text), every request whose Host header is not allowed. */
export function checkHostHeader(fastify: FastifyInstance, allowedHosts: string[], logger: Logger): void {
  if (allowedHosts.includes('*')) return;
  const allowed = hostMatcher(allowedHosts);
  fastify.addHook('onRequest', async (request, reply) => {
    if (UNCHECKED_PATHS.has(request.url.split('?')[0]) || allowed(request.headers.host)) return;
    logger.warn({ requestId: request.id, host: request.headers.host }, 'request refused: Host header not allowed');
    return reply.status(403).header('content-type', 'text/plain').send(INVALID_HOST_MESSAGE);
  });
}
