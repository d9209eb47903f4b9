import { SqlMigration } from '@logbook/platform';

// token_usage is not a projection: when a token was last used is recorded as it is used, not as an event
// (an event per request would grow the log with every call); a rebuild leaves it as it is.
const tokens = `
CREATE SEQUENCE identity.token_ids;
CREATE TABLE identity.tokens (
  id integer PRIMARY KEY,
  name text NOT NULL,
  owner_user_id integer NOT NULL,
  owner_username text NOT NULL,
  scope text NOT NULL,
  secret_hash text NOT NULL,
  created_time bigint NOT NULL,
  expires_time bigint,
  revoked_time bigint
);
CREATE INDEX tokens_by_owner ON identity.tokens (owner_user_id, id);
CREATE TABLE identity.token_usage (
  token_id integer PRIMARY KEY,
  last_used_time bigint NOT NULL
);
`;

export class IdentityTokens1796997600000 extends SqlMigration {
  constructor() {
    super(tokens);
  }
}
