import { eventStoreSchema, streamStateVersionSchema } from '@logbook/eventstore';
import { SqlMigration } from '@logbook/platform';
import { IdentityRoles1797000000000 } from './002_roles';
import { IdentityTokens1796997600000 } from './003_tokens';
import { IdentityAudit1796500000500 } from './004_audit';

export const IDENTITY_SCHEMA = 'identity';

// MLflow's user ids are integers; a sequence hands them out before the user's first event records one.
const projections = `
CREATE SEQUENCE identity.user_ids;
CREATE TABLE identity.users (
  id integer PRIMARY KEY,
  username text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  is_admin boolean NOT NULL,
  created_time bigint NOT NULL
);
`;

// Each class name ends with the time its migration was written, which orders them.
export class IdentityEventStore1796956800000 extends SqlMigration {
  constructor() {
    super(eventStoreSchema(IDENTITY_SCHEMA));
  }
}

export class IdentityStreamStateVersion1796956800001 extends SqlMigration {
  constructor() {
    super(streamStateVersionSchema(IDENTITY_SCHEMA));
  }
}

export class IdentityUsers1796956800002 extends SqlMigration {
  constructor() {
    super(projections);
  }
}

export const identityMigrations: SqlMigration[] = [
  new IdentityEventStore1796956800000(),
  new IdentityStreamStateVersion1796956800001(),
  new IdentityUsers1796956800002(),
  new IdentityTokens1796997600000(),
  new IdentityRoles1797000000000(),
  new IdentityAudit1796500000500(),
];
