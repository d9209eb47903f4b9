import { deepStrictEqual, fail, ok, strictEqual } from 'node:assert/strict';
import { Decider, fold, DomainEvent } from '@logbook/eventstore';
import { ErrorCode, MlflowError } from '@logbook/platform';

export interface Outcome<Event extends DomainEvent> {
  then(expected: Event[]): void;
  thenNothing(): void;
  thenThrows(errorCode: ErrorCode, messageIncludes?: string): void;
}

/** Given/when/then for a decider, no framework: fold the history with `evolve`, run `decide`, assert. */
export function spec<State, Command, Event extends DomainEvent>(decider: Decider<State, Command, Event>) {
  return {
    given: (history: Event[]) => ({
      when: (command: Command): Outcome<Event> => {
        const decide = () => decider.decide(command, fold(decider, history));
        return {
          then: (expected) => deepStrictEqual(decide(), expected),
          thenNothing: () => deepStrictEqual(decide(), []),
          thenThrows: (errorCode, messageIncludes) => {
            let events: Event[];
            try {
              events = decide();
            } catch (error) {
              ok(error instanceof MlflowError, `expected an MlflowError ${errorCode}, got: ${String(error)}`);
              strictEqual(error.errorCode, errorCode, `wrong error code; message: ${error.message}`);
              if (messageIncludes !== undefined) {
                ok(error.message.includes(messageIncludes), `"${error.message}" does not include "${messageIncludes}"`);
              }
              return;
            }
            fail(`expected ${errorCode}, but decide returned ${JSON.stringify(events)}`);
          },
        };
      },
    }),
  };
}
