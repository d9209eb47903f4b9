import { createRemoteJWKSet, errors, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { Logger } from '@logbook/platform';

/** What Logbook trusts of an OpenID Connect provider, and how it reads the users and groups it vouches for. */
export interface OidcSettings {
  /** The provider's issuer URL; its discovery document is `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** The audience tokens must name (`aud`): the identifier of Logbook's API at the provider. */
  audience: string;
  usernameClaim: string;
  groupsClaim: string;
  /** Members of these groups are admins. */
  adminGroups: string[];
  clockToleranceSeconds: number;
  /** Shortest time between two fetches of the provider's keys (a token signed with an unknown key triggers one). */
  jwksCooldownMs: number;
}

/** Only signatures by a key pair: `none` and shared-secret algorithms are never accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** The provider could not be asked for its keys: the request is answered 503, not 401. */
export class ProviderUnreachableError extends Error {}

/**
 * Verifies bearer JWTs with jose against the provider's published keys: discovered once, cached, and
 * fetched again when a token names a key not seen yet (the provider rotated its keys).
 */
export class OidcVerifier {
  private keys?: Promise<JWTVerifyGetKey>;

  constructor(
    private readonly settings: OidcSettings,
    private readonly logger: Logger,
  ) {}

  /** The token's claims when the provider signed it for this audience and it is within its lifetime; null otherwise. */
  async verify(token: string): Promise<JWTPayload | null> {
    const keys = await this.discovered();
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockToleranceSeconds,
        algorithms: ALGORITHMS,
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || error instanceof TypeError) {
        throw new ProviderUnreachableError(`The identity provider's keys could not be read: ${String(error)}`);
      }
      if (error instanceof errors.JOSEError) {
        this.logger.debug({ code: error.code }, 'bearer token refused');
        return null;
      }
      throw error;
    }
  }

  private discovered(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.discover().catch((error: unknown) => {
      this.keys = undefined;
      throw new ProviderUnreachableError(`The identity provider could not be discovered: ${String(error)}`);
    });
    return this.keys;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const response = await fetch(`${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`discovery answered ${response.status}`);
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer it was fetched for.
    if (document.issuer !== this.settings.issuer) {
      throw new Error(`discovery names issuer ${String(document.issuer)}, not ${this.settings.issuer}`);
    }
    if (typeof document.jwks_uri !== 'string') throw new Error('discovery names no jwks_uri');
    this.logger.info({ issuer: this.settings.issuer, jwksUri: document.jwks_uri }, 'identity provider discovered');
    return createRemoteJWKSet(new URL(document.jwks_uri), { cooldownDuration: this.settings.jwksCooldownMs });
  }
}
