import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, JWK } from 'jose';
import Provider from 'oidc-provider';

/** A client of the provider that signs users in with the authorization code flow, as a CLI or notebook helper would. */
const CLIENT = { id: 'logbook-cli', secret: 'the secret of the logbook cli', redirect: 'http://127.0.0.1/callback' };

export interface TestProvider {
  issuer: string;
  /** Signs `username` in through the provider's login and consent pages; the access token it grants for `resource`. */
  login(username: string, resource: string): Promise<string>;
  /** Replaces the provider's signing key by a new one (a new `kid`): the old key's tokens no longer verify. */
  rotateKeys(): Promise<void>;
  /** How long access tokens granted from now on live. */
  setAccessTokenTtl(seconds: number): void;
  close(): Promise<void>;
}

export async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `key-${Date.now()}-${Math.random()}`, alg: 'RS256', use: 'sig' };
}

/**
 * node-oidc-provider (a certified OpenID provider) on 127.0.0.1: its development login pages accept any
 * username, and access tokens for a registered resource are JWTs carrying the username and its groups.
 */
export async function startTestProvider(groups: Record<string, string[]>): Promise<TestProvider> {
  let server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  let accessTokenTtl = 300;

  const configure = async () => {
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          redirect_uris: [CLIENT.redirect],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      jwks: { keys: [await signingKey()] },
      cookies: { keys: ['the test provider signs its cookies with this'] },
      pkce: { required: () => false },
      features: {
        devInteractions: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf?.[0] ?? '',
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => ({
            audience: resource,
            scope: 'openid',
            accessTokenFormat: 'jwt',
            accessTokenTTL: accessTokenTtl,
          }),
        },
      },
      extraTokenClaims: (_ctx, token) => {
        const accountId = 'accountId' in token ? token.accountId : '';
        return { preferred_username: accountId, groups: groups[accountId] ?? [] };
      },
      findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    });
    return provider.callback();
  };

  let handler = await configure();
  server.on('request', (request, response) => handler(request, response));

  const cookies = new Map<string, string>();
  const keepCookies = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair.split('=');
      cookies.set(name, value.join('='));
    }
  };
  const request = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(url, issuer), {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers ?? {}), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    keepCookies(response);
    return response;
  };
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

  return {
    issuer,
    async login(username, resource) {
      cookies.clear();
      const authorize = new URLSearchParams({
        client_id: CLIENT.id,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: CLIENT.redirect,
        resource,
      });
      let location = (await request(`/auth?${authorize}`)).headers.get('location') as string;
      while (!location.startsWith(CLIENT.redirect)) {
        if (location.includes('/interaction/')) {
          const page = await (await request(location)).text();
          const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
          const fields: Record<string, string> =
            prompt === 'login' ? { prompt, login: username, password: 'any' } : { prompt: prompt ?? '' };
          location = (await request(location, form(fields))).headers.get('location') as string;
        } else {
          location = (await request(location)).headers.get('location') as string;
        }
      }
      const code = new URL(location).searchParams.get('code') as string;
      const token = await request(
        '/token',
        form({
          grant_type: 'authorization_code',
          code,
          redirect_uri: CLIENT.redirect,
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          resource,
        }),
      );
      const answer = (await token.json()) as { access_token?: string };
      if (!answer.access_token) throw new Error(`no access token: ${JSON.stringify(answer)}`);
      return answer.access_token;
    },
    async rotateKeys() {
      handler = await configure();
    },
    setAccessTokenTtl(seconds) {
      accessTokenTtl = seconds;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      server = undefined as unknown as Server;
    },
  };
}
