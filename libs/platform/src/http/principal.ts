import { createHmac, timingSafeEqual } from 'node:crypto';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Actor, ACTOR_KINDS, AUTH_METHODS } from '../command-metadata';

/** Who sent a request, as authenticated by the gateway. */
export interface Principal {
  actor: Actor;
  isAdmin: boolean;
  /** The groups an identity provider puts the caller in (OIDC); none for other sign-ins. */
  groups?: string[];
  /**
   * An API token: the user it acts for, and the most it may do with that user's permissions (READ, USE,
   * EDIT or MANAGE).
   */
  token?: { ownerId: string; ownerName: string; scope: string };
  /**
   * Which state of the grants the gateway last knew when it authenticated the request: it changes with every
   * change to users, roles or grants, so a service never decides on grants read before the change.
   */
  grantsVersion?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the request is authenticated; absent while authentication is off. */
    principal?: Principal;
    /** Where the request came from: its peer, or, behind the gateway, the address the gateway forwards. */
    clientAddress?: string;
  }
}

/**
 * The header in which the gateway hands the caller's address to the service behind it. The gateway sets
 * it on every forwarded request and drops what a client sent under that name.
 */
export const CLIENT_ADDRESS_HEADER = 'x-logbook-client-address';

/** The header in which the gateway hands a request's principal to the service behind it. */
export const PRINCIPAL_HEADER = 'x-logbook-principal';

/** How long a signed principal is good for: one forwarded request, with room for clock skew between hosts. */
const PRINCIPAL_LIFETIME_MS = 60_000;

/**
 * MLflow's answer to a request without valid credentials. MLflow sends it as text/html; Logbook sends the
 * same text in MLflow's error shape, which its clients read either way.
 */
export const NOT_AUTHENTICATED_MESSAGE =
  'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.';

/**
 * Paths that answer without credentials, as in MLflow (static files, health, server-info) and Logbook's
 * own probes and metrics, which orchestrators call without credentials.
 */
const OPEN_PATHS =
  /^\/(?:health|health\/ready|metrics|favicon\.ico|static-files\/.*|(?:ajax-)?api\/\d\.\d\/mlflow\/server-info)$/;

export const isOpenPath = (url: string) => OPEN_PATHS.test(url.split('?')[0]);

/** The gateway's endpoints for the services behind it (grants), never for clients, and never forwarded. */
export const INTERNAL_PATH_PREFIX = '/internal/';

const isInternalPath = (url: string) => url.startsWith(INTERNAL_PATH_PREFIX);

export function replyNotAuthenticated(reply: FastifyReply, challenges: string[]) {
  if (challenges.length > 0) void reply.header('www-authenticate', challenges.join(', '));
  return reply
    .status(401)
    .header('content-type', 'application/json')
    .send(JSON.stringify({ error_code: 'UNAUTHENTICATED', message: NOT_AUTHENTICATED_MESSAGE }));
}

const base64url = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');
const mac = (key: string, payload: string) => createHmac('sha256', key).update(payload).digest();

/** The principal as the gateway forwards it: its JSON and an expiry, signed with the key it shares with the services. */
export function signPrincipal(principal: Principal, key: string, now = Date.now()): string {
  const payload = base64url(JSON.stringify({ ...principal, expires: now + PRINCIPAL_LIFETIME_MS }));
  return `${payload}.${base64url(mac(key, payload))}`;
}

function isTokenGrant(value: unknown): boolean {
  const grant = value as Record<string, unknown> | null;
  return (
    typeof grant === 'object' &&
    grant !== null &&
    typeof grant.ownerId === 'string' &&
    typeof grant.ownerName === 'string' &&
    typeof grant.scope === 'string'
  );
}

function isPrincipal(value: unknown): value is Principal & { expires: number } {
  const candidate = value as {
    actor?: Record<string, unknown>;
    isAdmin?: unknown;
    groups?: unknown;
    token?: unknown;
    grantsVersion?: unknown;
    expires?: unknown;
  } | null;
  const actor = candidate?.actor;
  return (
    typeof candidate?.isAdmin === 'boolean' &&
    (candidate.token === undefined || isTokenGrant(candidate.token)) &&
    (candidate.grantsVersion === undefined || typeof candidate.grantsVersion === 'number') &&
    (candidate.groups === undefined ||
      (Array.isArray(candidate.groups) && candidate.groups.every((group) => typeof group === 'string'))) &&
    typeof candidate.expires === 'number' &&
    typeof actor?.id === 'string' &&
    typeof actor.name === 'string' &&
    ACTOR_KINDS.includes(actor.kind as Actor['kind']) &&
    AUTH_METHODS.includes(actor.authMethod as Actor['authMethod'])
  );
}

/** The principal a signed header carries, or null when it is not one the key signed or it has expired. */
export function verifyPrincipal(signed: string, key: string, now = Date.now()): Principal | null {
  const [payload, signature, extra] = signed.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const expected = mac(key, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!isPrincipal(decoded) || decoded.expires < now) return null;
  const { actor, isAdmin, groups, token, grantsVersion } = decoded;
  return {
    actor,
    isAdmin,
    ...(groups === undefined ? {} : { groups }),
    ...(token === undefined ? {} : { token }),
    ...(grantsVersion === undefined ? {} : { grantsVersion }),
  };
}

/**
 * Who sent a request, from its credentials: a principal, or why not: credentials missing or wrong, too
 * many failed attempts from this user or address to check these yet, or the identity provider that
 * would vouch for them out of reach.
 */
export type Authentication =
  | { principal: Principal }
  | { refused: 'credentials' }
  | { refused: 'throttled'; retryAfterSeconds: number }
  | { refused: 'unavailable'; message: string };

export type Authenticate = (request: FastifyRequest) => Promise<Authentication>;

/**
 * The gateway's check: every request but those to open paths is authenticated before it is routed (as
 * MLflow does, so an unknown path answers 401 too), and carries its principal from then on.
 */
export function requireCredentials(
  fastify: FastifyInstance,
  authenticate: Authenticate,
  challenges: string[],
  serviceKey?: string,
): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (isOpenPath(request.url)) return;
    if (isInternalPath(request.url)) {
      // Only the services behind the gateway, which sign as themselves with the key they share with it.
      const signed = request.headers[PRINCIPAL_HEADER];
      const principal = serviceKey && typeof signed === 'string' ? verifyPrincipal(signed, serviceKey) : null;
      if (principal?.actor.kind !== 'system') return replyNotAuthenticated(reply, []);
      request.principal = principal;
      return;
    }
    const outcome = await authenticate(request);
    if ('principal' in outcome) {
      request.principal = outcome.principal;
    } else if (outcome.refused === 'throttled') {
      return reply
        .status(429)
        .header('retry-after', String(outcome.retryAfterSeconds))
        .header('content-type', 'application/json')
        .send(
          JSON.stringify({
            error_code: 'RESOURCE_EXHAUSTED',
            message: `Too many failed sign-ins from this user or address; try again in ${outcome.retryAfterSeconds} s`,
          }),
        );
    } else if (outcome.refused === 'unavailable') {
      return reply
        .status(503)
        .header('content-type', 'application/json')
        .send(JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: outcome.message }));
    } else {
      return replyNotAuthenticated(reply, challenges);
    }
  });
}

/**
 * A service's check behind the gateway: every request but those to open paths carries the principal the
 * gateway signed. One without it went around the gateway and is refused.
 */
export function requireGatewayPrincipal(fastify: FastifyInstance, key: string): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (isOpenPath(request.url)) return;
    const signed = request.headers[PRINCIPAL_HEADER];
    const principal = typeof signed === 'string' ? verifyPrincipal(signed, key) : null;
    if (!principal) return replyNotAuthenticated(reply, []);
    request.principal = principal;
  });
}
