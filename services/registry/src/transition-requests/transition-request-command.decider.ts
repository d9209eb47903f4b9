import { Decider } from '@logbook/eventstore';
import { CommandMetadata } from '@logbook/platform';
import { TransitionRequestCommandEvent, TransitionRequestCommandType } from './transition-request-command.events';

/** What came of a command: the request it made or acted on, or MLflow's refusal. */
export type CommandOutcome = { requestId: string } | { errorCode: string; message: string };

export interface AnswerCommand {
  type: 'AnswerCommand';
  data: { commandId: string; command: TransitionRequestCommandType; user: string; outcome: CommandOutcome };
  metadata: CommandMetadata;
}

export interface TransitionRequestCommandState {
  answered: boolean;
}

/** A command's stream holds its one answer: answering it again changes nothing. */
function decide(command: AnswerCommand, state: TransitionRequestCommandState): TransitionRequestCommandEvent[] {
  if (state.answered) return [];
  const { outcome, ...answered } = command.data;
  const time = command.metadata.now;
  return 'requestId' in outcome
    ? [{ type: 'TransitionRequestCommandAccepted', data: { ...answered, requestId: outcome.requestId, time } }]
    : [{ type: 'TransitionRequestCommandRefused', data: { ...answered, ...outcome, time } }];
}

export const transitionRequestCommandDecider: Decider<
  TransitionRequestCommandState,
  AnswerCommand,
  TransitionRequestCommandEvent
> = {
  decide,
  evolve: () => ({ answered: true }),
  initialState: () => ({ answered: false }),
};

export const transitionRequestCommandStream = {
  streamType: 'transition-request-command',
  decider: transitionRequestCommandDecider,
  stateVersion: 1,
};

export const transitionRequestCommandStreamId = (commandId: string) => `transition-request-command-${commandId}`;
