import { Queryable } from '@logbook/platform';
import { EventEnvelope } from './envelope';

/**
 * A read model kept in the same transaction as the append (read-your-writes). `apply` must be
 * deterministic in the events alone so that a rebuild from the log gives the same rows.
 */
export interface InlineProjection {
  name: string;
  /** Tables this projection owns, emptied before a rebuild, children first. */
  tables: string[];
  apply(tx: Queryable, events: EventEnvelope[]): Promise<void>;
}
