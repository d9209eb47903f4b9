import { DomainEvent } from '@logbook/eventstore';
import { PolicyDefinition } from './policy-definition';

/** Each version of a policy is recorded whole, with its hash: what a request names as the policy it met. */
interface PolicyVersion {
  name: string;
  /** From 1 per policy name; a policy created again after its deletion goes on counting. */
  version: number;
  definition: PolicyDefinition;
  hash: string;
  time: number;
}

export type PolicyCreated = DomainEvent<'PolicyCreated', PolicyVersion>;
export type PolicyUpdated = DomainEvent<'PolicyUpdated', PolicyVersion>;
export type PolicyDeleted = DomainEvent<'PolicyDeleted', { name: string; version: number; time: number }>;

export type PolicyEvent = PolicyCreated | PolicyUpdated | PolicyDeleted;
