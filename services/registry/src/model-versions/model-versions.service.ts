import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@logbook/eventstore';
import { CommandMetadata, Queryable } from '@logbook/platform';
import {
  RegisteredModelCommand,
  registeredModelStream,
  registeredModelStreamId,
} from '../registered-models/registered-model.decider';
import { ModelVersionNumberAssigned } from '../registered-models/registered-model.events';
import { GovernedTargets, GovernedTargetsOfModel, UNGOVERNED } from '../governance/governed-targets';
import { RegisteredModelsQueries } from '../registered-models/registered-models.queries';
import { NO_MODEL } from '../registered-models/registered-models.service';
import { LineageQueries } from '../lineage/lineage.queries';
import { EVENT_STORE } from '../shared/tokens';
import {
  checkNewModelVersion,
  ModelVersionCommand,
  modelVersionStream,
  modelVersionStreamId,
  NewModelVersion,
  VersionAddress,
  versionNumber,
} from './model-version.decider';

type VersionCommandOf<T extends ModelVersionCommand['type']> = Omit<
  Extract<ModelVersionCommand, { type: T }>['data'],
  keyof VersionAddress
>;

@Injectable()
export class ModelVersionsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly models: RegisteredModelsQueries,
    private readonly lineage: LineageQueries,
    private readonly governance: GovernedTargets,
  ) {}

  /**
   * The model counts the new version and the version's stream records it, in one transaction: a
   * number is never assigned without its version, and two concurrent creates get two numbers. A
   * `models:/<model_id>` source links the version to its logged model and that model's run, as MLflow 3 does.
   */
  async create(given: NewModelVersion, metadata: CommandMetadata): Promise<number> {
    checkNewModelVersion(given);
    const loggedModel = await this.lineage.loggedModelOfSource(given.source);
    const request = loggedModel
      ? {
          ...given,
          modelId: given.modelId || loggedModel.modelId,
          runId: given.runId || (loggedModel.sourceRunId ?? undefined),
          ...(!given.runId && loggedModel.sourceRunId ? { runIdInferred: true as const } : {}),
        }
      : given;
    const registeredModelId = (await this.models.findByName(request.name))?.registeredModelId ?? NO_MODEL;
    return this.store.transaction(async (tx) => {
      const [assigned] = await this.onModelIn(
        tx,
        registeredModelId,
        'AssignModelVersionNumber',
        request.name,
        metadata,
      );
      const { version } = (assigned as unknown as ModelVersionNumberAssigned).data;
      await this.store.handleIn(
        tx,
        modelVersionStream,
        modelVersionStreamId(registeredModelId, version),
        { type: 'CreateModelVersion', data: { ...request, registeredModelId, version }, metadata },
        metadata,
      );
      return version;
    });
  }

  /** MLflow's soft delete: the model drops the version's stage and aliases, the version is redacted. */
  async delete(name: string, version: string, metadata: CommandMetadata): Promise<void> {
    const [address, governed] = await Promise.all([this.address(name, version), this.governance.forModel(name)]);
    await this.store.transaction(async (tx) => {
      await this.onModelIn(tx, address.registeredModelId, 'WithdrawModelVersion', name, metadata, version, governed);
      await this.store.handleIn(
        tx,
        modelVersionStream,
        modelVersionStreamId(address.registeredModelId, address.version),
        { type: 'DeleteModelVersion', data: address, metadata },
        metadata,
      );
    });
  }

  async update(name: string, version: string, description: string | undefined, metadata: CommandMetadata) {
    await this.onVersion(await this.address(name, version), 'UpdateModelVersion', { description }, metadata);
  }

  async setTag(name: string, version: string, key: string, value: string, metadata: CommandMetadata) {
    await this.onVersion(await this.address(name, version), 'SetModelVersionTag', { key, value }, metadata);
  }

  async deleteTag(name: string, version: string, key: string, metadata: CommandMetadata) {
    await this.onVersion(await this.address(name, version), 'DeleteModelVersionTag', { key }, metadata);
  }

  /**
   * The outcome of the registration check (the artifacts service verified and copied the source): the
   * version becomes READY with its content digest. Repeated deliveries change nothing.
   */
  async completeRegistration(
    registeredModelId: string,
    version: number,
    result: { digest: string; storageLocation?: string },
    metadata: CommandMetadata,
  ): Promise<void> {
    await this.onVersion(await this.addressById(registeredModelId, version), 'CompleteRegistration', result, metadata);
  }

  /** The registration check failed: the version becomes FAILED_REGISTRATION with the reason as its status message. */
  async failRegistration(registeredModelId: string, version: number, message: string, metadata: CommandMetadata) {
    await this.onVersion(await this.addressById(registeredModelId, version), 'FailRegistration', { message }, metadata);
  }

  private async address(name: string, version: string): Promise<VersionAddress> {
    const number = versionNumber(name, version);
    const found = await this.models.findByName(name);
    return { registeredModelId: found?.registeredModelId ?? NO_MODEL, name, version: number };
  }

  /** A version by its model's id: the model's name as its stream knows it, also after the model was deleted. */
  private async addressById(registeredModelId: string, version: number): Promise<VersionAddress> {
    const { state } = await this.store.load(registeredModelStream, registeredModelStreamId(registeredModelId));
    return { registeredModelId, name: state.name, version };
  }

  private async onVersion<T extends ModelVersionCommand['type']>(
    address: VersionAddress,
    type: T,
    data: VersionCommandOf<T>,
    metadata: CommandMetadata,
  ): Promise<void> {
    await this.store.handle(
      modelVersionStream,
      modelVersionStreamId(address.registeredModelId, address.version),
      { type, data: { ...data, ...address }, metadata } as ModelVersionCommand,
      metadata,
    );
  }

  private onModelIn(
    tx: Queryable,
    registeredModelId: string,
    type: 'AssignModelVersionNumber' | 'WithdrawModelVersion',
    name: string,
    metadata: CommandMetadata,
    version = '',
    governed: GovernedTargetsOfModel = UNGOVERNED,
  ) {
    const command = (
      type === 'AssignModelVersionNumber'
        ? { type, data: { name }, metadata }
        : { type, data: { name, version, governed }, metadata }
    ) as RegisteredModelCommand;
    return this.store.handleIn(
      tx,
      registeredModelStream,
      registeredModelStreamId(registeredModelId),
      command,
      metadata,
    );
  }
}
