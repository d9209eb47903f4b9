import { DomainEvent } from '@logbook/eventstore';

/** A user of basic authentication. The hash is Werkzeug's format, so MLflow's users move over unchanged. */
export type UserCreated = DomainEvent<
  'UserCreated',
  { userId: number; username: string; passwordHash: string; isAdmin: boolean; time: number }
>;
export type UserPasswordChanged = DomainEvent<
  'UserPasswordChanged',
  { userId: number; username: string; passwordHash: string; time: number }
>;
export type UserAdminChanged = DomainEvent<
  'UserAdminChanged',
  { userId: number; username: string; isAdmin: boolean; time: number }
>;
export type UserDeleted = DomainEvent<'UserDeleted', { userId: number; username: string; time: number }>;

export type UserEvent = UserCreated | UserPasswordChanged | UserAdminChanged | UserDeleted;
