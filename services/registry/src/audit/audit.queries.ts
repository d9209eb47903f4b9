import { Inject, Injectable } from '@nestjs/common';
import { AuditTrail } from '@logbook/audit';
import { Database } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import { DATABASE } from '../shared/tokens';

/** The registry's audit trail: searched, exported, verified, and the keys its checkpoints are signed with. */
@Injectable()
export class AuditQueries extends AuditTrail {
  constructor(@Inject(DATABASE) db: Database) {
    super(db, REGISTRY_SCHEMA);
  }
}
