import {
  CanActivate,
  createParamDecorator,
  DynamicModule,
  ExecutionContext,
  Global,
  Injectable,
  Module,
  SetMetadata,
  Type,
} from '@nestjs/common';
import { APP_GUARD, ModuleRef, Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { MlflowError, Principal, ServerConfig } from '@logbook/platform';
import { AccessDecisions, GRANT_SOURCE, GrantSource } from './access-decisions';
import { Action, EVERYTHING_READABLE, ReadableSet } from './decisions';
import { HttpGrantSource } from './http-grant-source';

/** MLflow answers text/html "Permission denied"; Logbook answers the same words in MLflow's error shape. */
export const permissionDenied = () => new MlflowError('PERMISSION_DENIED', 'Permission denied');

/**
 * The resource a lookup finds another one under: a run's experiment, a model version's registered model.
 * Null when the id names nothing, which the route itself then answers (404), as MLflow's does.
 */
export interface OwnerLookup {
  ownerOf(id: string): Promise<string | null>;
}

/** Finds the ids of the resources a request acts on; none when it names none (the route answers 400/404). */
export interface Locator {
  /** For the permission matrix and error logs: where the ids come from. */
  readonly describe: string;
  locate(request: FastifyRequest, moduleRef: ModuleRef): Promise<string[]>;
}

/**
 * A parameter as MLflow's validators read it: from the query string of a GET, else from the JSON body
 * (or the query string, when the body lacks it). A DELETE with a JSON body is read from its body, as
 * MLflow's `_get_request_param` reads it and as the registry's DELETE handlers read their parameters.
 * Strings and numbers count; a list counts each.
 */
export function requestValues(request: FastifyRequest, name: string): string[] {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const body =
    request.body !== null && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
  const value = request.method === 'GET' ? query[name] : (body[name] ?? query[name]);
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v) => typeof v === 'string' || typeof v === 'number').map(String);
}

/** The ids a request parameter names. */
export const param = (name: string): Locator => ({
  describe: name,
  locate: async (request) => requestValues(request, name),
});

/** The owners of what a request parameter names, found by a lookup the service provides. */
export const ownerOf = (lookup: Type<OwnerLookup>, name: string): Locator => ({
  describe: `${lookup.name}(${name})`,
  locate: async (request, moduleRef) => {
    const resolver = moduleRef.get(lookup, { strict: false });
    const owners = await Promise.all(requestValues(request, name).map((id) => resolver.ownerOf(id)));
    return owners.filter((owner): owner is string => owner !== null);
  },
});

/** Ids found by a service's own reading of the request (an artifact path, say). */
export interface RequestLocator {
  locate(request: FastifyRequest): Promise<string[]>;
}

export const locatedBy = (locator: Type<RequestLocator>): Locator => ({
  describe: locator.name,
  locate: (request, moduleRef) => moduleRef.get(locator, { strict: false }).locate(request),
});

/**
 * Who may call a route (MLflow 3.17's validators, workspaces off):
 * - `signed-in`: anyone authenticated; what the route shows is theirs to see (a listing, their account);
 * - `admin`: admins only;
 * - `own-checks`: the route's controller authorizes each request itself (the identity API);
 * - `create`: anyone who may create this type (no DENY on it, or on the name), with a token allowed to write;
 * - `resource`: the action on every resource the locator finds, through `tier` when the request reaches
 *   that tier's rows (a run through its experiment);
 * - `listing`: anyone authenticated, who sees only the resources of the type they may read (ReadableBy).
 */
export type AccessRule =
  | { kind: 'signed-in' }
  | { kind: 'admin' }
  | { kind: 'own-checks' }
  | { kind: 'create'; resourceType: string; name?: Locator }
  | { kind: 'resource'; resourceType: string; action: Action; locate: Locator; tier?: string }
  | { kind: 'listing'; resourceType: string; tier?: string };

export const ACCESS_RULES = 'access:rules';

/** A route's access rules, every one of which must allow the request. A route without any is refused. */
export const Authorize = (...rules: AccessRule[]) => SetMetadata(ACCESS_RULES, rules);

export const Rules = {
  signedIn: (): AccessRule => ({ kind: 'signed-in' }),
  admin: (): AccessRule => ({ kind: 'admin' }),
  ownChecks: (): AccessRule => ({ kind: 'own-checks' }),
  create: (resourceType: string, name?: Locator): AccessRule => ({ kind: 'create', resourceType, name }),
  on: (resourceType: string, action: Action, locate: Locator, tier?: string): AccessRule => ({
    kind: 'resource',
    resourceType,
    action,
    locate,
    tier,
  }),
  listing: (resourceType: string, tier?: string): AccessRule => ({ kind: 'listing', resourceType, tier }),
};

declare module 'fastify' {
  interface FastifyRequest {
    /** What a listing route's caller may read, by resource type (set by the access guard). */
    readable?: Record<string, ReadableSet>;
  }
}

/** The resources of a type the caller may read: every one while authentication is off, or for an admin. */
export const ReadableBy = createParamDecorator((resourceType: string, context: ExecutionContext): ReadableSet => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return request.readable?.[resourceType] ?? EVERYTHING_READABLE;
});

/** The principal of the request, or null while authentication is off. */
export const RequestPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal | null =>
    context.switchToHttp().getRequest<FastifyRequest>().principal ?? null,
);

/**
 * Applies every route's access rules to an authenticated request, after its body is read and before its
 * parameters are validated (as MLflow's before_request hook runs). A request without a principal
 * (authentication off, or an open path) passes.
 */
@Injectable()
export class AuthorizationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly decisions: AccessDecisions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const rules = this.reflector.getAllAndOverride<AccessRule[] | undefined>(ACCESS_RULES, [
      context.getHandler(),
      context.getClass(),
    ]);
    await this.authorize(request, rules);
    return true;
  }

  /**
   * Refuses (PERMISSION_DENIED) an authenticated request that a rule does not allow, or that has no rules.
   * Routes put on Fastify directly (the artifact routes, whose bodies stay streams), which no Nest guard
   * sees, call it themselves with their handler's rules.
   */
  async authorize(request: FastifyRequest, rules: AccessRule[] | undefined): Promise<void> {
    const principal = request.principal;
    if (!principal) return;
    if (!rules) throw permissionDenied();
    for (const rule of rules) {
      if (!(await this.allows(rule, principal, request))) throw permissionDenied();
    }
  }

  private async allows(rule: AccessRule, principal: Principal, request: FastifyRequest): Promise<boolean> {
    switch (rule.kind) {
      case 'signed-in':
      case 'own-checks':
        return true;
      case 'admin':
        return principal.isAdmin;
      case 'create': {
        const names = rule.name ? await rule.name.locate(request, this.moduleRef) : [];
        if (names.length === 0) return this.decisions.mayCreate(principal, rule.resourceType);
        for (const name of names) {
          if (!(await this.decisions.mayCreate(principal, rule.resourceType, name))) return false;
        }
        return true;
      }
      case 'resource': {
        for (const resourceId of new Set(await rule.locate.locate(request, this.moduleRef))) {
          const target = { resourceType: rule.resourceType, resourceId, tier: rule.tier };
          if (!(await this.decisions.may(principal, target, rule.action))) return false;
        }
        return true;
      }
      case 'listing':
        request.readable = {
          ...request.readable,
          [rule.resourceType]: await this.decisions.readable(principal, rule.resourceType, rule.tier),
        };
        return true;
    }
  }
}

/**
 * Authorization for one process: the guard on every route (also exported, for routes put on Fastify
 * directly), and the decisions it asks, on grants from `source` (or from a GRANT_SOURCE another global
 * module provides: the identity service in the gateway).
 */
@Global()
@Module({})
export class AccessModule {
  static with(source?: GrantSource): DynamicModule {
    return {
      module: AccessModule,
      providers: [
        ...(source ? [{ provide: GRANT_SOURCE, useValue: source }] : []),
        {
          provide: AccessDecisions,
          useFactory: (grants?: GrantSource) => new AccessDecisions(grants ?? NO_GRANT_SOURCE),
          inject: [{ token: GRANT_SOURCE, optional: true }],
        },
        AuthorizationGuard,
        { provide: APP_GUARD, useExisting: AuthorizationGuard },
      ],
      exports: [AccessDecisions, AuthorizationGuard],
    };
  }

  /** A service behind the gateway: with auth on, it reads grants from the identity service in the gateway. */
  static forService(server: ServerConfig, service: string): DynamicModule {
    const { gatewayKey, gatewayUrl } = server.auth;
    return AccessModule.with(
      gatewayKey && gatewayUrl ? new HttpGrantSource(gatewayUrl, gatewayKey, service) : undefined,
    );
  }
}

/** Authentication is off: no principal reaches a decision, no user is known by name, and no resource gets a creator's grant. */
const NO_GRANT_SOURCE: GrantSource = {
  grantsOf: async () => {
    throw new Error('No grant source: authentication is off');
  },
  userNamed: async () => null,
  grantCreator: async () => undefined,
  resourceRenamed: async () => undefined,
  resourceDeleted: async () => undefined,
};
