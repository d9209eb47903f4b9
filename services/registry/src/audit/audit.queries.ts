import { Inject, Injectable } from '@nestjs/common';
import {
  AuditEntry,
  AuditFilter,
  auditCheckpoints,
  auditHead,
  auditPublicKeys,
  searchAuditEntries,
  verifyAuditLog,
} from '@logbook/audit';
import { Database } from '@logbook/platform';
import { decodeOffsetToken, encodeOffsetToken } from '@logbook/search';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import { checkMaxResults } from '../model-versions/model-versions.queries';
import { MAX_RESULTS } from '../shared/limits';
import { DATABASE } from '../shared/tokens';
import { AuditFilterDto, AuditSearchDto } from './audit.dto';

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

/** The registry's audit trail: searched, exported, verified, and the keys its checkpoints are signed with. */
@Injectable()
export class AuditQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** A page of matching rows; the token holds the last row's sequence number, so pages never shift. */
  async search(dto: AuditSearchDto): Promise<{ entries: AuditEntry[]; next_page_token?: string }> {
    const limit = checkMaxResults(dto.max_results, MAX_RESULTS.auditEntries);
    const after = decodeOffsetToken(dto.page_token);
    const entries = await searchAuditEntries(this.db, REGISTRY_SCHEMA, filterOf(dto), {
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
    const checkpoints = await auditCheckpoints(this.db, REGISTRY_SCHEMA);
    const head = await auditHead(this.db, REGISTRY_SCHEMA);
    const signed = new Map(checkpoints.map((checkpoint) => [checkpoint.seq, checkpoint]));
    const filter = filterOf(dto);
    let after = 0;
    for (;;) {
      const batch = await searchAuditEntries(this.db, REGISTRY_SCHEMA, filter, {
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
    return verifyAuditLog(this.db, REGISTRY_SCHEMA);
  }

  async publicKeys() {
    return { keys: await auditPublicKeys(this.db, REGISTRY_SCHEMA) };
  }
}
