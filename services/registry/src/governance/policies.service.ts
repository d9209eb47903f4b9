import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@logbook/eventstore';
import { CommandMetadata, invalidParameter } from '@logbook/platform';
import { EVENT_STORE } from '../shared/tokens';
import { parsePolicyDefinition } from './policy-definition';
import { PolicyCommand, policyStream, policyStreamId } from './policy.decider';

type CommandOf<T extends PolicyCommand['type']> = Extract<PolicyCommand, { type: T }>['data'];

@Injectable()
export class PoliciesService {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Creates the policy a document defines; answers its name. */
  async create(document: unknown, metadata: CommandMetadata): Promise<string> {
    const definition = parsePolicyDefinition(document);
    await this.execute(definition.name, 'CreatePolicy', { definition }, metadata);
    return definition.name;
  }

  /** Replaces the fields a document gives (`name` says which policy); answers the policy's name. */
  async update(document: unknown, metadata: CommandMetadata): Promise<string> {
    if (document === null || typeof document !== 'object' || Array.isArray(document)) {
      throw invalidParameter('Invalid request body: expected a JSON object.');
    }
    const { name, ...changes } = document as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') throw invalidParameter("Missing value for required parameter 'name'.");
    await this.execute(name, 'UpdatePolicy', { name, changes }, metadata);
    return name;
  }

  async delete(name: string, metadata: CommandMetadata): Promise<void> {
    await this.execute(name, 'DeletePolicy', { name }, metadata);
  }

  private async execute<T extends PolicyCommand['type']>(
    name: string,
    type: T,
    data: CommandOf<T>,
    metadata: CommandMetadata,
  ): Promise<void> {
    await this.store.handle(policyStream, policyStreamId(name), { type, data, metadata } as PolicyCommand, metadata);
  }
}
