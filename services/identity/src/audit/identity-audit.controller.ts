import { Readable } from 'node:stream';
import { Controller, Get, Query, StreamableFile, UseGuards } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { AUDIT_ANSWERS, AuditFilterDto, AuditSearchDto } from '@logbook/audit';
import { Answers } from '@logbook/platform';
import { AccessGuard, Allows } from '../shared/access';
import { IdentityAuditQueries } from './identity-audit.queries';

/**
 * The audit trail of users, roles, grants and tokens, for admins, in the registry audit API's shapes:
 * who changed whose access, when, from where; and proof it is untouched.
 */
// Each route says who may call it (Allows), checked by the identity API's own guard.
@Authorize(Rules.ownChecks())
@Controller(['api/2.0/logbook/identity-audit', 'ajax-api/2.0/logbook/identity-audit'])
@UseGuards(AccessGuard)
export class IdentityAuditController {
  constructor(private readonly audit: IdentityAuditQueries) {}

  @Get('entries/search')
  @Allows('admin')
  @Answers(AUDIT_ANSWERS.auditEntries)
  search(@Query() dto: AuditSearchDto) {
    return this.audit.search(dto);
  }

  /** JSON lines (the identity OpenAPI document says so: identity.openapi.ts). */
  @Get('entries/export')
  @Allows('admin')
  export(@Query() dto: AuditFilterDto) {
    return new StreamableFile(Readable.from(this.audit.export(dto)), {
      type: 'application/x-ndjson',
      disposition: 'attachment; filename="identity-audit.jsonl"',
    });
  }

  @Get('verify')
  @Allows('admin')
  @Answers(AUDIT_ANSWERS.auditVerification)
  verify() {
    return this.audit.verify();
  }

  @Get('checkpoints/public-keys')
  @Allows('admin')
  @Answers(AUDIT_ANSWERS.auditPublicKeys)
  publicKeys() {
    return this.audit.publicKeys();
  }
}
