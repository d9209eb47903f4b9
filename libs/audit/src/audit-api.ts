import { Max, Min } from 'class-validator';
import {
  ACTOR_KINDS,
  AUTH_METHODS,
  BooleanField,
  Database,
  Documented,
  EnumField,
  Int64Field,
  invalidParameter,
  invalidValue,
  JsonSchema,
  StringField,
} from '@logbook/platform';
import { decodeOffsetToken, encodeOffsetToken } from '@logbook/search';
import { AuditFilter, auditHead, searchAuditEntries } from './audit-log';
import { AuditEntry } from './chain';
import { auditCheckpoints, auditPublicKeys } from './checkpoints';
import { verifyAuditLog } from './verify';

/** A search's page size when it is left out, and the largest one accepted. */
export const AUDIT_MAX_RESULTS = { fallback: 100, maximum: 1000 } as const;

/** The latest time a filter takes: the end of year 9999, as far as Postgres' timestamps reach comfortably. */
const LATEST_TIME_MS = 253_402_300_799_999;
const MAX_VERSION = 2 ** 31 - 1;

/** Which audit rows are wanted; each filter left out matches every row. */
export class AuditFilterDto {
  @StringField()
  @Documented({ description: 'What the change is about, by name (a registered model, a user, a role)' })
  name?: string;

  @Int64Field()
  @Min(1)
  @Max(MAX_VERSION)
  @Documented({ minimum: 1, maximum: MAX_VERSION, description: 'The model version the change is about' })
  version?: number;

  @StringField() @Documented({ description: "The actor's id or name" }) actor?: string;

  @StringField()
  @Documented({ description: 'An event type, such as ModelVersionStageTransitioned or UserCreated' })
  event_type?: string;

  @Int64Field()
  @Min(0)
  @Max(LATEST_TIME_MS)
  @Documented({ minimum: 0, maximum: LATEST_TIME_MS, description: 'Recorded at or after, in ms since the epoch' })
  from?: number;

  @Int64Field()
  @Min(0)
  @Max(LATEST_TIME_MS)
  @Documented({ minimum: 0, maximum: LATEST_TIME_MS, description: 'Recorded before, in ms since the epoch' })
  to?: number;

  @BooleanField()
  @Documented({
    description: 'true: only the rows of break-glass uses (the decision says breakGlass); false: the others',
  })
  break_glass?: boolean;
}

export const AUDIT_ORDERS = ['newest', 'oldest'] as const;

export class AuditSearchDto extends AuditFilterDto {
  @Int64Field() @Documented({ minimum: 1, maximum: AUDIT_MAX_RESULTS.maximum }) max_results?: number;
  @StringField() page_token?: string;
  @EnumField(AUDIT_ORDERS)
  @Documented({ description: 'newest (the default) or oldest first' })
  order?: (typeof AUDIT_ORDERS)[number];
}

const int64: JsonSchema = { type: 'integer', format: 'int64' };
const text: JsonSchema = { type: 'string' };
const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, nullable: true });
const object = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
});

/** One audit row as the API answers it (empty lists are left out of answers, as protobuf JSON does). */
export const AUDIT_ENTRY_SCHEMA = object(
  {
    seq: int64,
    recorded_at: { type: 'string', format: 'date-time' },
    event_id: text,
    event_type: text,
    stream_type: text,
    stream_id: text,
    target: object({ name: nullable(text), version: nullable({ type: 'integer' }) }, ['name', 'version']),
    actor: object(
      {
        id: text,
        name: text,
        kind: { type: 'string', enum: [...ACTOR_KINDS] },
        auth_method: { type: 'string', enum: [...AUTH_METHODS] },
      },
      ['id', 'name', 'kind', 'auth_method'],
    ),
    request_id: nullable(text),
    client: object({ address: nullable(text), user_agent: nullable(text) }, ['address', 'user_agent']),
    before: { description: "The stream's state before the change", nullable: true },
    after: { description: "The stream's state after the change", nullable: true },
    decision: { description: 'The policy decision that allowed the change, where one was taken', nullable: true },
    prev_hash: text,
    hash: { type: 'string', description: 'sha256(prev_hash || RFC 8785 JSON of every other field), hex' },
  },
  [
    'seq',
    'recorded_at',
    'event_id',
    'event_type',
    'stream_type',
    'stream_id',
    'target',
    'actor',
    'request_id',
    'client',
    'prev_hash',
    'hash',
  ],
);

/** What the audit API of a service answers, for its OpenAPI document. */
export const AUDIT_ANSWERS = {
  auditEntries: {
    ...object({
      entries: { type: 'array', items: AUDIT_ENTRY_SCHEMA },
      next_page_token: { type: 'string', description: 'Pass it back to read the next page' },
    }),
    description: 'Audit rows matching the filters, newest first unless order=oldest',
  },
  auditExport: {
    type: 'string',
    description:
      'JSON lines, oldest first: one audit row per line, each signed checkpoint as {"checkpoint": ...} after its row',
  },
  auditVerification: {
    ...object(
      {
        valid: { type: 'boolean' },
        rows_checked: int64,
        first_broken: nullable(object({ seq: int64, reason: text }, ['seq', 'reason'])),
        checkpoints_checked: int64,
      },
      ['valid', 'rows_checked', 'first_broken', 'checkpoints_checked'],
    ),
    description: 'The chain recomputed up to its head, and each signed checkpoint checked against it',
  },
  auditPublicKeys: {
    ...object({
      keys: {
        type: 'array',
        items: object({ key_id: text, public_key: text, created_at: { type: 'string', format: 'date-time' } }, [
          'key_id',
          'public_key',
          'created_at',
        ]),
      },
    }),
    description: 'The Ed25519 public keys (SPKI PEM) audit checkpoints are signed with',
  },
} satisfies Record<string, JsonSchema>;

const EXPORT_BATCH = 1000;

const filterOf = (dto: AuditFilterDto): AuditFilter => ({
  targetName: dto.name,
  targetVersion: dto.version,
  actor: dto.actor,
  eventType: dto.event_type,
  from: dto.from,
  to: dto.to,
  breakGlass: dto.break_glass,
});

function pageSize(value: number | undefined): number {
  const max = value ?? AUDIT_MAX_RESULTS.fallback;
  if (max > AUDIT_MAX_RESULTS.maximum) throw invalidValue('max_results', max);
  if (max < 1) throw invalidParameter(`Invalid value for max_results. It must be a positive integer, but got ${max}`);
  return max;
}

/** A service's audit trail, as its API serves it: searched, exported, verified, and its checkpoints' keys. */
export class AuditTrail {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {}

  /** A page of matching rows; the token holds the last row's sequence number, so pages never shift. */
  async search(dto: AuditSearchDto): Promise<{ entries: AuditEntry[]; next_page_token?: string }> {
    const limit = pageSize(dto.max_results);
    const after = decodeOffsetToken(dto.page_token);
    const entries = await searchAuditEntries(this.db, this.schema, filterOf(dto), {
      order: dto.order ?? 'newest',
      afterSeq: after === 0 ? undefined : after,
      limit: limit + 1,
    });
    const page = entries.slice(0, limit);
    return entries.length > limit
      ? { entries: page, next_page_token: encodeOffsetToken(page[page.length - 1].seq) }
      : { entries: page };
  }

  /**
   * Matching rows up to the chain's head as JSON lines, oldest first, each signed checkpoint right after
   * the row it signed (`{"checkpoint": ...}`): an export of the whole trail, or of a time range, verifies
   * offline.
   */
  async *export(dto: AuditFilterDto): AsyncGenerator<string> {
    const checkpoints = await auditCheckpoints(this.db, this.schema);
    const head = await auditHead(this.db, this.schema);
    const signed = new Map(checkpoints.map((checkpoint) => [checkpoint.seq, checkpoint]));
    const filter = filterOf(dto);
    let after = 0;
    for (;;) {
      const batch = await searchAuditEntries(this.db, this.schema, filter, {
        order: 'oldest',
        afterSeq: after,
        limit: EXPORT_BATCH,
      });
      const lines: string[] = [];
      for (const entry of batch) {
        if (entry.seq > head.seq) break;
        lines.push(`${JSON.stringify(entry)}\n`);
        const checkpoint = signed.get(entry.seq);
        if (checkpoint) lines.push(`${JSON.stringify({ checkpoint })}\n`);
      }
      if (lines.length > 0) yield lines.join('');
      if (batch.length < EXPORT_BATCH || batch[batch.length - 1].seq >= head.seq) return;
      after = batch[batch.length - 1].seq;
    }
  }

  verify() {
    return verifyAuditLog(this.db, this.schema);
  }

  async publicKeys() {
    return { keys: await auditPublicKeys(this.db, this.schema) };
  }
}
