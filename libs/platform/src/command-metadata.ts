export interface Actor {
  id: string;
  kind: 'user' | 'service' | 'anonymous';
}

export const ANONYMOUS: Actor = { id: 'anonymous', kind: 'anonymous' };

/** What every command carries besides its data: the clock, who asked, and which request it belongs to. */
export interface CommandMetadata {
  now: number;
  actor: Actor;
  requestId: string;
  causationId?: string;
  traceparent?: string;
}

/** The metadata of what a service does on its own account: at startup, and in its maintenance commands. */
export const SYSTEM_METADATA = (): CommandMetadata => ({
  now: Date.now(),
  actor: { id: 'system', kind: 'service' },
  requestId: 'startup',
});
