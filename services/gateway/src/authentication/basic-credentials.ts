/** The largest Authorization header read: far above any real username and password, far below a DoS. */
const MAX_HEADER_LENGTH = 8192;

export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * HTTP Basic credentials (RFC 7617) as MLflow's clients send them: `Basic base64(username:password)`, the
 * scheme in any case, UTF-8, the password everything after the first colon. Anything else is no credentials.
 */
export function basicCredentials(header: string | undefined): BasicCredentials | null {
  if (header === undefined || header.length > MAX_HEADER_LENGTH) return null;
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match || match[1].length % 4 !== 0) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || decoded.includes('\uFFFD')) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
