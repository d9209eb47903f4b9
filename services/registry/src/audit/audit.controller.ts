import { Readable } from 'node:stream';
import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { AuditFilterDto, AuditSearchDto } from '@logbook/audit';
import { Answers } from '@logbook/platform';
import { ANSWERS } from '../shared/wire-schemas';
import { AuditQueries } from './audit.queries';

/** The registry's audit trail, for admins: who changed what, when, from where; and proof it is untouched. */
@Authorize(Rules.admin())
@Controller(['api/2.0/logbook/audit', 'ajax-api/2.0/logbook/audit'])
export class AuditController {
  constructor(private readonly audit: AuditQueries) {}

  @Get('entries/search')
  @Answers(ANSWERS.auditEntries)
  search(@Query() dto: AuditSearchDto) {
    return this.audit.search(dto);
  }

  /** JSON lines (the registry's OpenAPI document says so: registry.openapi.ts). */
  @Get('entries/export')
  export(@Query() dto: AuditFilterDto) {
    return new StreamableFile(Readable.from(this.audit.export(dto)), {
      type: 'application/x-ndjson',
      disposition: 'attachment; filename="registry-audit.jsonl"',
    });
  }

  @Get('verify')
  @Answers(ANSWERS.auditVerification)
  verify() {
    return this.audit.verify();
  }

  @Get('checkpoints/public-keys')
  @Answers(ANSWERS.auditPublicKeys)
  publicKeys() {
    return this.audit.publicKeys();
  }
}
