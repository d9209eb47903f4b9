import { AuthMethod, Principal } from '@logbook/platform';
import {
  Action,
  capped,
  mayCreate,
  permissionOn,
  permits,
  ReadableSet,
  readableSet,
  Target,
  UserGrants,
} from './decisions';
import { isPermissionName, PermissionName } from './permission-levels';

/** The user a request acts for: the one signed in, or the owner of the token it carries. */
export interface Subject {
  userId: string;
  username: string;
  /** Identity-provider groups, which map onto roles (OIDC). */
  groups: string[];
}

/** A user as the identity service knows them by name. */
export interface KnownUser {
  userId: string;
  username: string;
  isAdmin: boolean;
}

/** Where the grants live (the identity service): read for decisions, written when someone creates a resource. */
export interface GrantSource {
  grantsOf(subject: Subject): Promise<UserGrants>;
  /** The user of that name; null when there is none. */
  userNamed(username: string): Promise<KnownUser | null>;
  /** MANAGE for the creator of a resource (MLflow grants it after every create); already granted is no error. */
  grantCreator(subject: Subject, resourceType: string, resourceId: string): Promise<void>;
  /** Every grant on the resource follows it to its new id (a registered model's rename). */
  resourceRenamed(resourceType: string, from: string, to: string): Promise<void>;
  /** Every grant on the resource ends, so none passes to a later one of the same id (a registered model's name). */
  resourceDeleted(resourceType: string, resourceId: string): Promise<void>;
}

export const GRANT_SOURCE = Symbol('access:grant-source');

/** A principal's subject, or null for one with no grants to read (an admin, the system). */
export function subjectOf(principal: Principal): Subject | null {
  if (principal.token) {
    return { userId: principal.token.ownerId, username: principal.token.ownerName, groups: [] };
  }
  if (principal.actor.kind !== 'user') return null;
  return { userId: principal.actor.id, username: principal.actor.name, groups: principal.groups ?? [] };
}

const scopeOf = (principal: Principal): PermissionName | undefined => {
  const scope = principal.token?.scope;
  return isPermissionName(scope) ? scope : undefined;
};

/**
 * How long a user's grants are reused while the gateway's grants version stays the same: every change the
 * gateway makes to users, roles or grants changes the version its requests carry, so it takes effect at
 * once; this bounds how long a change made through another gateway process goes unseen.
 */
export const GRANTS_TTL_MS = 5_000;

interface CachedGrants {
  grants: Promise<UserGrants>;
  readAt: number;
  /** The grants version of the request they were read for (Principal.grantsVersion). */
  version: number | undefined;
}

/**
 * Decisions for principals, on grants read from the source and reused for GRANTS_TTL_MS while the
 * principal's grants version is the one they were read at. Before refusing, the grants are read again.
 */
export class AccessDecisions {
  private readonly cache = new Map<string, CachedGrants>();

  constructor(
    private readonly source: GrantSource,
    private readonly now: () => number = Date.now,
  ) {}

  async may(principal: Principal, target: Target, action: Action): Promise<boolean> {
    if (principal.isAdmin) return permits(capped('MANAGE', scopeOf(principal)), action);
    const subject = subjectOf(principal);
    if (!subject) return false;
    const decide = (user: UserGrants) => permits(capped(permissionOn(user, target), scopeOf(principal)), action);
    return this.decide(subject, principal.grantsVersion, decide);
  }

  async mayCreate(principal: Principal, resourceType: string, name?: string): Promise<boolean> {
    // Creating is a write: a token whose scope stops below EDIT may not.
    if (!permits(capped('MANAGE', scopeOf(principal)), 'update')) return false;
    if (principal.isAdmin) return true;
    const subject = subjectOf(principal);
    if (!subject) return false;
    return this.decide(subject, principal.grantsVersion, (user) => mayCreate(user, resourceType, name));
  }

  async readable(principal: Principal, resourceType: string, tier?: string): Promise<ReadableSet> {
    if (principal.isAdmin) return { all: true, except: [] };
    const subject = subjectOf(principal);
    if (!subject) return { all: false, only: [] };
    return readableSet(await this.grantsOf(subject, principal.grantsVersion), resourceType, tier);
  }

  /**
   * What approval policies know the principal by: the roles they hold and their identity provider's
   * groups. A token acts with its owner's roles; the system and anonymous callers hold none.
   */
  async rolesOf(principal: Principal): Promise<string[]> {
    const subject = subjectOf(principal);
    if (!subject) return [];
    const { roles } = await this.grantsOf(subject, principal.grantsVersion);
    return [...new Set([...roles, ...subject.groups])].sort();
  }

  /**
   * The principal a message that names a user (a command on Kafka) acts as: that user, signed in by
   * `authMethod`, with their grants and roles (identity-provider groups come only with a sign-in); null
   * when no user has that name.
   */
  async principalNamed(username: string, authMethod: AuthMethod): Promise<Principal | null> {
    const user = await this.source.userNamed(username);
    if (!user) return null;
    return { actor: { id: user.userId, kind: 'user', name: user.username, authMethod }, isAdmin: user.isAdmin };
  }

  async grantCreator(principal: Principal, resourceType: string, resourceId: string): Promise<void> {
    const subject = subjectOf(principal);
    if (!subject) return;
    await this.source.grantCreator(subject, resourceType, resourceId);
    this.cache.delete(cacheKey(subject));
  }

  /** After the resource's rename: its grants follow it, and no grants read before are reused here. */
  async resourceRenamed(resourceType: string, from: string, to: string): Promise<void> {
    await this.source.resourceRenamed(resourceType, from, to);
    this.cache.clear();
  }

  /** After the resource's deletion: its grants end, and no grants read before are reused here. */
  async resourceDeleted(resourceType: string, resourceId: string): Promise<void> {
    await this.source.resourceDeleted(resourceType, resourceId);
    this.cache.clear();
  }

  private async decide(
    subject: Subject,
    version: number | undefined,
    decide: (user: UserGrants) => boolean,
  ): Promise<boolean> {
    const before = this.cache.get(cacheKey(subject))?.grants;
    const grants = this.grantsOf(subject, version);
    if (decide(await grants)) return true;
    // A refusal on grants read earlier is checked against the grants as they are now.
    return grants === before ? decide(await this.grantsOf(subject, version, true)) : false;
  }

  private grantsOf(subject: Subject, version: number | undefined, fresh = false): Promise<UserGrants> {
    const key = cacheKey(subject);
    const cached = this.cache.get(key);
    const now = this.now();
    if (!fresh && cached && cached.version === version && now - cached.readAt < GRANTS_TTL_MS) return cached.grants;
    const grants = this.source.grantsOf(subject);
    this.cache.set(key, { grants, readAt: now, version });
    grants.catch(() => {
      if (this.cache.get(key)?.grants === grants) this.cache.delete(key);
    });
    if (this.cache.size > 10_000) this.evictExpired(now);
    return grants;
  }

  private evictExpired(now: number) {
    for (const [key, entry] of this.cache) if (now - entry.readAt >= GRANTS_TTL_MS) this.cache.delete(key);
  }
}

const cacheKey = (subject: Subject) => `${subject.userId}\n${[...subject.groups].sort().join('\n')}`;
