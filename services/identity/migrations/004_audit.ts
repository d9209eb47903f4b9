import { auditBreakGlassSchema, auditExportSchema, auditLogSchema } from '@logbook/audit';
import { SqlMigration } from '@logbook/platform';

// The audit trail of users, roles, grants and tokens: libs/audit's hash-chained, append-only tables, and
// where its export to Kafka stands.
export class IdentityAudit1796500000500 extends SqlMigration {
  constructor() {
    super(auditLogSchema('identity') + auditBreakGlassSchema('identity') + auditExportSchema('identity'));
  }
}
