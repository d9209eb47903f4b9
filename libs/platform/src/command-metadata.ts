/** Who acts: a person, a service account (API token), Logbook itself, or nobody known (auth off). */
export type ActorKind = 'user' | 'service' | 'system' | 'anonymous';
/**
 * How the actor proved who it is. `kafka`: a command published on Kafka named them (the broker's access
 * control decides who may publish commands).
 */
export type AuthMethod = 'basic' | 'token' | 'oidc' | 'kafka' | 'none';

export const ACTOR_KINDS: readonly ActorKind[] = ['user', 'service', 'system', 'anonymous'];
export const AUTH_METHODS: readonly AuthMethod[] = ['basic', 'token', 'oidc', 'kafka', 'none'];

export interface Actor {
  id: string;
  kind: ActorKind;
  /** The name people know the actor by (a username, a token's name); the id never changes, this may. */
  name: string;
  authMethod: AuthMethod;
}

export const ANONYMOUS: Actor = { id: 'anonymous', kind: 'anonymous', name: 'anonymous', authMethod: 'none' };

/** Logbook acting on its own account: a service's startup, its consumers, its maintenance commands. */
export const systemActor = (service: string): Actor => ({
  id: service,
  kind: 'system',
  name: service,
  authMethod: 'none',
});

/**
 * An actor as stored or received. Events recorded before actors had names carry `{id, kind}` only, and
 * their kind 'service' meant Logbook itself (now 'system'); they read as the actor they were.
 */
export function storedActor(actor: { id: string; kind: string; name?: string; authMethod?: string }): Actor {
  if (actor.name !== undefined && actor.authMethod !== undefined) return actor as Actor;
  const kind = actor.kind === 'service' ? 'system' : (actor.kind as ActorKind);
  return { id: actor.id, kind, name: actor.name ?? actor.id, authMethod: (actor.authMethod as AuthMethod) ?? 'none' };
}

/** Where a request came from, as the gateway saw it. Kept by the audit trail only, never in events. */
export interface ClientContext {
  address: string | null;
  userAgent: string | null;
}

/** What every command carries besides its data: the clock, who asked, and which request it belongs to. */
export interface CommandMetadata {
  now: number;
  actor: Actor;
  requestId: string;
  causationId?: string;
  traceparent?: string;
  client?: ClientContext;
}

/** The metadata of what a service does on its own account: at startup, and in its maintenance commands. */
export const SYSTEM_METADATA = (): CommandMetadata => ({
  now: Date.now(),
  actor: systemActor('system'),
  requestId: 'startup',
});
