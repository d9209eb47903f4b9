/** The largest bearer token read: far above any provider's JWT, far below a header meant to exhaust memory. */
export const MAX_TOKEN_LENGTH = 16_384;

/** A bearer token (RFC 6750: `Bearer <b64token>`, the scheme in any case); anything else is none. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header.length > MAX_TOKEN_LENGTH + 7) return null;
  const match = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match ? match[1] : null;
}

export const isBearer = (header: string | undefined) => header !== undefined && /^bearer(?: |$)/i.test(header);
