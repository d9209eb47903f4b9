import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@logbook/eventstore';
import { alreadyExists, CommandMetadata, isUniqueViolation } from '@logbook/platform';
import { EVENT_STORE } from '../shared/tokens';
import { GovernedTargets } from '../governance/governed-targets';
import { RegisteredModelCommand, registeredModelStream, registeredModelStreamId } from './registered-model.decider';
import { Tag } from './registered-model.events';
import { RegisteredModelsQueries } from './registered-models.queries';

type CommandOf<T extends RegisteredModelCommand['type']> = Extract<RegisteredModelCommand, { type: T }>['data'];

/** The stream a command for a name no live model holds goes to: none exists, so its decider answers 404. */
export const NO_MODEL = 'none';

@Injectable()
export class RegisteredModelsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly queries: RegisteredModelsQueries,
    private readonly governance: GovernedTargets,
  ) {}

  async create(request: { name: string; description?: string; tags: Tag[] }, metadata: CommandMetadata): Promise<void> {
    const registeredModelId = randomUUID().replace(/-/g, '');
    const holder = await this.queries.findByName(request.name);
    await this.execute(
      registeredModelId,
      'CreateRegisteredModel',
      { registeredModelId, ...request, holder: holder ? { isPrompt: holder.isPrompt } : null },
      metadata,
      () => alreadyExists(`Registered Model (name=${request.name}) already exists.`),
    );
  }

  async rename(name: string, newName: string, metadata: CommandMetadata): Promise<void> {
    const [found, holder, governed, governedAfter] = await Promise.all([
      this.queries.findByName(name),
      this.queries.findByName(newName),
      this.governance.forModel(name),
      this.governance.forModel(newName),
    ]);
    await this.execute(
      found?.registeredModelId ?? NO_MODEL,
      'RenameRegisteredModel',
      {
        name,
        newName,
        holder: holder && holder.registeredModelId !== found?.registeredModelId ? holder : null,
        governed,
        governedAfter,
      },
      metadata,
      () => alreadyExists(`Registered Model (name=${newName}) already exists.`),
    );
  }

  async update(name: string, description: string | undefined, metadata: CommandMetadata): Promise<void> {
    await this.onModel(name, 'UpdateRegisteredModel', { name, description }, metadata);
  }

  async delete(name: string, metadata: CommandMetadata): Promise<void> {
    await this.onModel(name, 'DeleteRegisteredModel', { name }, metadata);
  }

  async setTag(name: string, key: string, value: string, metadata: CommandMetadata): Promise<void> {
    await this.onModel(name, 'SetRegisteredModelTag', { name, key, value }, metadata);
  }

  async deleteTag(name: string, key: string, metadata: CommandMetadata): Promise<void> {
    await this.onModel(name, 'DeleteRegisteredModelTag', { name, key }, metadata);
  }

  async setAlias(name: string, alias: string, version: string, metadata: CommandMetadata): Promise<void> {
    const governed = await this.governance.forModel(name);
    await this.onModel(name, 'SetRegisteredModelAlias', { name, alias, version, governed }, metadata);
  }

  async deleteAlias(name: string, alias: string, metadata: CommandMetadata): Promise<void> {
    const governed = await this.governance.forModel(name);
    await this.onModel(name, 'DeleteRegisteredModelAlias', { name, alias, governed }, metadata);
  }

  async transitionStage(
    request: { name: string; version: string; stage: string; archiveExistingVersions: boolean },
    metadata: CommandMetadata,
  ): Promise<void> {
    const governed = await this.governance.forModel(request.name);
    await this.onModel(request.name, 'TransitionModelVersionStage', { ...request, governed }, metadata);
  }

  private async onModel<T extends RegisteredModelCommand['type']>(
    name: string,
    type: T,
    data: CommandOf<T>,
    metadata: CommandMetadata,
  ): Promise<void> {
    const found = await this.queries.findByName(name);
    await this.execute(found?.registeredModelId ?? NO_MODEL, type, data, metadata);
  }

  private async execute<T extends RegisteredModelCommand['type']>(
    registeredModelId: string,
    type: T,
    data: CommandOf<T>,
    metadata: CommandMetadata,
    nameTaken?: () => Error,
  ): Promise<void> {
    try {
      await this.store.handle(
        registeredModelStream,
        registeredModelStreamId(registeredModelId),
        { type, data, metadata } as RegisteredModelCommand,
        metadata,
      );
    } catch (error) {
      if (nameTaken && isUniqueViolation(error)) throw nameTaken();
      throw error;
    }
  }
}
