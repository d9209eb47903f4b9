import { createHash } from 'node:crypto';
import { z } from 'zod';
import { problemsOf } from './problems';
import { eventTopic } from './topics';

/**
 * One published event at one version: what its `data` holds (a zod object whose fields carry their
 * meanings as descriptions), what the event means, and an example.
 */
export interface EventContract<Name extends string = string, Data extends z.ZodObject = z.ZodObject> {
  name: Name;
  schemaVersion: number;
  meaning: string;
  data: Data;
  example: z.input<Data>;
}

export type ContractData<C> = C extends EventContract<string, infer Data> ? z.output<Data> : never;

/** The `{ type, data }` union of the contracts, for a consumer's switch over `type`. */
export type ContractEvent<C> =
  C extends EventContract<infer Name, infer Data> ? { type: Name; data: z.output<Data> } : never;

export function eventContract<const Name extends string, Data extends z.ZodObject>(definition: {
  name: Name;
  schemaVersion: number;
  meaning: string;
  data: Data;
  example: NoInfer<z.input<Data>>;
}): EventContract<Name, Data> {
  return definition;
}

/** A Kafka topic: one stream type of one service, keyed by stream id, and the events published on it. */
export interface TopicContract {
  name: string;
  producer: string;
  streamType: string;
  meaning: string;
  /** What the message key (the stream id) is. */
  key: string;
  events: EventContract[];
}

/**
 * A Kafka topic of commands a service consumes: anyone allowed to publish on it asks the service to act.
 * Each command's `data` is described as an event's is; `results` is the topic where every command's
 * outcome is published.
 */
export interface CommandTopicContract {
  name: string;
  consumer: string;
  meaning: string;
  key: string;
  commands: EventContract[];
  results: TopicContract;
}

/** The envelope fields a payload check needs. */
export interface PublishedEvent {
  type: string;
  schemaVersion: number;
  data: unknown;
}

/** Checks an event's `data` against its contract; the problems found, none when it conforms. */
export type ContractValidator = (data: unknown, event: Pick<PublishedEvent, 'schemaVersion'>) => string[];

/**
 * A validator per event type, for a consumer: the payload must match the contract of its type at
 * its schemaVersion (fields it does not declare are allowed: a version may gain fields), and a
 * version no contract declares is refused (the consumer cannot read it).
 */
export function contractValidators(contracts: readonly EventContract[]): Record<string, ContractValidator> {
  const byName = new Map<string, EventContract[]>();
  for (const contract of contracts) byName.set(contract.name, [...(byName.get(contract.name) ?? []), contract]);
  return Object.fromEntries(
    [...byName].map(([name, versions]): [string, ContractValidator] => [
      name,
      (data, { schemaVersion }) => {
        const contract = versions.find((c) => c.schemaVersion === schemaVersion);
        if (!contract) {
          const known = versions.map((c) => c.schemaVersion).join(', ');
          return [`schemaVersion ${schemaVersion} of ${name} is unknown (known: ${known})`];
        }
        return problemsOf(contract.data, data);
      },
    ]),
  );
}

/**
 * A domain event as its contract publishes it: parsing keeps only the declared fields, at any depth.
 * A stored event that breaks its contract (written before a rule existed) goes out as it was stored:
 * one event must never stall the relay, and every consumer dead-letters the payload it cannot read.
 */
export function publish<Data extends z.ZodObject>(
  contract: EventContract<string, Data>,
  data: NoInfer<z.input<Data>>,
): PublishedEvent {
  const result = contract.data.safeParse(data);
  return { type: contract.name, schemaVersion: contract.schemaVersion, data: result.success ? result.data : data };
}

type DataOf<E extends { type: string; data: unknown }, T extends string> = Extract<E, { type: T }>['data'];

/**
 * How each domain event of a service is published: one entry per type, so a new event cannot go out unmapped.
 * An entry may publish several contract events for one domain event (a batch and its summary, on two topics).
 */
export type ContractMapping<E extends { type: string; data: unknown }> = {
  [T in E['type']]: (data: DataOf<E, T>) => PublishedEvent | PublishedEvent[];
};

/** The envelope fields the publisher's hook reads besides the contract's. */
interface MappedEnvelope extends PublishedEvent {
  eventId?: string;
}

/**
 * The publisher's hook: an envelope of a domain event becomes the envelopes of its contracts (type,
 * schemaVersion and only the contract's fields); the rest of the envelope is kept. The first keeps the
 * stored event's id; each further one gets an id derived from it and its type, the same at every
 * publication, so a consumer's inbox still takes a republished event once.
 */
export function contractMapper<E extends { type: string; data: unknown }>(mapping: ContractMapping<E>) {
  const table = mapping as Record<string, (data: unknown) => PublishedEvent | PublishedEvent[]>;
  return <Envelope extends MappedEnvelope>(envelope: Envelope): Envelope[] => {
    const map = Object.hasOwn(table, envelope.type) ? table[envelope.type] : undefined;
    if (!map) throw new Error(`No contract publishes the domain event ${envelope.type}`);
    const published = map(envelope.data);
    if (!Array.isArray(published)) return [{ ...envelope, ...published }];
    return published.map((event, index) =>
      index === 0 || envelope.eventId === undefined
        ? { ...envelope, ...event }
        : { ...envelope, ...event, eventId: derivedEventId(envelope.eventId, event.type) },
    );
  };
}

/** A name-based UUID (RFC 9562 version 5, SHA-1) for the event of `type` published from the stored event `eventId`. */
export function derivedEventId(eventId: string, type: string): string {
  const hash = createHash('sha1').update(`${eventId}/${type}`).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Which topic each published event goes to: the topic of its stream type whose contract lists it, else the
 * stream type's own topic (`<producer>.<streamType>.events.v1`).
 */
export function topicRouter(
  producer: string,
  topics: readonly TopicContract[],
): (event: { streamType: string; type: string }) => string {
  const routes = new Map<string, string>();
  for (const topic of topics) {
    for (const event of topic.events) {
      const route = `${topic.streamType}/${event.name}`;
      const listed = routes.get(route);
      if (listed !== undefined && listed !== topic.name) {
        throw new Error(
          `${event.name} of stream type ${topic.streamType} is listed by two topics: ${listed} and ${topic.name}`,
        );
      }
      routes.set(route, topic.name);
    }
  }
  return ({ streamType, type }) => routes.get(`${streamType}/${type}`) ?? eventTopic(producer, streamType);
}
