import { DomainEvent } from '@logbook/eventstore';

/** The commands on Kafka that drive transition requests (libs/contracts' command topic). */
export const TRANSITION_REQUEST_COMMANDS = [
  'RequestTransition',
  'ApproveRequest',
  'RejectRequest',
  'CancelRequest',
] as const;
export type TransitionRequestCommandType = (typeof TRANSITION_REQUEST_COMMANDS)[number];

interface AnsweredCommand {
  commandId: string;
  command: TransitionRequestCommandType;
  /** The user name the command acted as. */
  user: string;
  time: number;
}

export type TransitionRequestCommandAccepted = DomainEvent<
  'TransitionRequestCommandAccepted',
  AnsweredCommand & { requestId: string }
>;
export type TransitionRequestCommandRefused = DomainEvent<
  'TransitionRequestCommandRefused',
  AnsweredCommand & { errorCode: string; message: string }
>;

export type TransitionRequestCommandEvent = TransitionRequestCommandAccepted | TransitionRequestCommandRefused;
