import { describe, it } from 'node:test';
import { spec } from '@logbook/testing';
import { AnswerCommand, CommandOutcome, transitionRequestCommandDecider } from './transition-request-command.decider';
import { TransitionRequestCommandEvent } from './transition-request-command.events';

const now = 1_700_000_000_000;
const commandId = '0b6f3a52-8f1e-4c7d-9a2b-5e4f6d7c8b9a';
const given = spec(transitionRequestCommandDecider).given;

const answer = (outcome: CommandOutcome): AnswerCommand => ({
  type: 'AnswerCommand',
  data: { commandId, command: 'ApproveRequest', user: 'alice', outcome },
  metadata: {
    now,
    actor: { id: 'registry', kind: 'system', name: 'registry', authMethod: 'none' },
    requestId: commandId,
  },
});
const accepted: TransitionRequestCommandEvent = {
  type: 'TransitionRequestCommandAccepted',
  data: { commandId, command: 'ApproveRequest', user: 'alice', requestId: 'r1', time: now },
};

describe('transition request command decider', () => {
  it('answers a command that took effect with the request it acted on', () =>
    given([])
      .when(answer({ requestId: 'r1' }))
      .then([accepted]));

  it("answers a refused command with MLflow's error code and message", () =>
    given([])
      .when(answer({ errorCode: 'PERMISSION_DENIED', message: 'alice made the request and cannot approve it.' }))
      .then([
        {
          type: 'TransitionRequestCommandRefused',
          data: {
            commandId,
            command: 'ApproveRequest',
            user: 'alice',
            errorCode: 'PERMISSION_DENIED',
            message: 'alice made the request and cannot approve it.',
            time: now,
          },
        },
      ]));

  it('answers a command once: a second answer changes nothing', () =>
    given([accepted])
      .when(answer({ errorCode: 'INVALID_STATE', message: 'again' }))
      .thenNothing());
});
