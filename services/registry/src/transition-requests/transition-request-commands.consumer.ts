import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { z } from 'zod';
import { contractValidators, REGISTRY_TRANSITION_REQUEST_COMMANDS_TOPIC } from '@logbook/contracts';
import { EventStore } from '@logbook/eventstore';
import { ConsumerDefinition, InvalidEnvelopeError, KafkaEventConsumer, MessageReader } from '@logbook/messaging';
import {
  CommandMetadata,
  Database,
  KafkaCluster,
  Logger,
  MlflowError,
  Queryable,
  systemActor,
} from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import { RegistryAccess } from '../shared/access';
import { COMMAND_FEED, DATABASE, EVENT_STORE, REGISTRY_LOGGER } from '../shared/tokens';
import {
  CommandOutcome,
  transitionRequestCommandStream,
  transitionRequestCommandStreamId,
} from './transition-request-command.decider';
import { TRANSITION_REQUEST_COMMANDS } from './transition-request-command.events';
import { requestedTarget } from './transition-requests.dto';
import { TransitionRequestsService } from './transition-requests.service';

export const TRANSITION_REQUEST_COMMANDS_CONSUMER = 'registry.transition-request-commands';

/** The Kafka connection the commands are consumed over. */
export interface CommandFeed {
  cluster: KafkaCluster;
  namespace?: string;
  clientId: string;
}

const CommandMessage = z.object({
  commandId: z.uuid(),
  type: z.enum(TRANSITION_REQUEST_COMMANDS),
  schemaVersion: z.int().min(1),
  user: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
});
/** A command as delivered, checked against its contract. */
export type TransitionRequestCommandMessage = z.output<typeof CommandMessage>;

/** The commands' data, as the HTTP bodies of the same actions (their contracts in libs/contracts). */
interface CommandData {
  name: string;
  version: string;
  stage?: string;
  alias?: string;
  comment?: string;
  archive_existing_versions?: boolean;
  break_glass_reason?: string;
}

const validators = contractValidators(REGISTRY_TRANSITION_REQUEST_COMMANDS_TOPIC.commands);

/** A message that is not a command of the contracts is invalid, and dead-lettered: it gets no answer. */
export const commandReader: MessageReader<TransitionRequestCommandMessage> = {
  parse(message) {
    const parsed = CommandMessage.safeParse(message);
    if (!parsed.success) {
      throw new InvalidEnvelopeError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
    }
    const problems = validators[parsed.data.type](parsed.data.data, parsed.data);
    if (problems.length > 0) throw new InvalidEnvelopeError(problems.map((problem) => `data: ${problem}`));
    return parsed.data;
  },
  idOf: (command) => command.commandId,
};

const permissionDenied = () => new MlflowError('PERMISSION_DENIED', 'Permission denied');

/**
 * Transition requests driven from Kafka: each command runs, as the user it names, through the same service
 * methods and permission checks as its HTTP route, in the inbox's transaction together with its answer on
 * the results topic. A refused command rolls back what it began and is answered with MLflow's error; it
 * never stalls the consumer.
 */
@Injectable()
export class TransitionRequestCommands implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer?: KafkaEventConsumer<TransitionRequestCommandMessage>;

  constructor(
    private readonly requests: TransitionRequestsService,
    private readonly access: RegistryAccess,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(REGISTRY_LOGGER) private readonly logger: Logger,
    @Inject(COMMAND_FEED) private readonly feed: CommandFeed | null,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.feed) return;
    this.consumer = new KafkaEventConsumer(this.db, this.definition(), {
      cluster: this.feed.cluster,
      namespace: this.feed.namespace,
      clientId: this.feed.clientId,
      topics: [REGISTRY_TRANSITION_REQUEST_COMMANDS_TOPIC.name],
      logger: this.logger,
    });
    void this.consumer.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  definition(): ConsumerDefinition<TransitionRequestCommandMessage> {
    return {
      name: TRANSITION_REQUEST_COMMANDS_CONSUMER,
      schema: REGISTRY_SCHEMA,
      read: commandReader,
      handle: (tx, command) => this.handle(tx, command),
    };
  }

  async handle(tx: Queryable, command: TransitionRequestCommandMessage): Promise<void> {
    await tx.query('SAVEPOINT command');
    let outcome: CommandOutcome;
    try {
      outcome = { requestId: await this.run(tx, command) };
    } catch (error) {
      if (!(error instanceof MlflowError)) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT command');
      outcome = { errorCode: error.errorCode, message: error.message };
    }
    const metadata: CommandMetadata = {
      now: Date.now(),
      actor: systemActor('registry'),
      requestId: command.commandId,
    };
    await this.store.handleIn(
      tx,
      transitionRequestCommandStream,
      transitionRequestCommandStreamId(command.commandId),
      {
        type: 'AnswerCommand',
        data: { commandId: command.commandId, command: command.type, user: command.user, outcome },
        metadata,
      },
      metadata,
    );
  }

  /** Runs the command as its HTTP route would for its user; answers the request it made or acted on. */
  private async run(tx: Queryable, command: TransitionRequestCommandMessage): Promise<string> {
    const data = command.data as unknown as CommandData;
    const principal = await this.access.principalNamed(command.user);
    const metadata: CommandMetadata = { now: Date.now(), actor: principal.actor, requestId: command.commandId };
    const requested = requestedTarget(data);
    const comment = data.comment ?? null;
    if (command.type === 'RequestTransition') {
      await this.require(this.access.mayUpdateVersions(principal, data.name));
      return this.requests.create(
        { ...requested, comment, breakGlassReason: data.break_glass_reason ?? null },
        metadata,
        tx,
      );
    }
    await this.require(this.access.mayReadVersions(principal, data.name));
    switch (command.type) {
      case 'ApproveRequest': {
        const archiveExistingVersions = data.archive_existing_versions ?? false;
        const decided = await this.requests.approve(
          { ...requested, comment, archiveExistingVersions },
          principal,
          metadata,
          tx,
        );
        return decided.request.request_id;
      }
      case 'RejectRequest':
        return (await this.requests.reject({ ...requested, comment }, principal, metadata, tx)).request.request_id;
      case 'CancelRequest':
        return this.requests.cancel({ ...requested, creator: principal.actor.name, comment }, metadata, tx);
    }
  }

  private async require(allowed: Promise<boolean>): Promise<void> {
    if (!(await allowed)) throw permissionDenied();
  }
}
