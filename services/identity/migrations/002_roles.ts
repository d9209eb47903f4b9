import { SqlMigration } from '@logbook/platform';

// MLflow's auth tables (server/auth/db/models.py) with their unique constraints: a role's name within its
// workspace, a grant's resource within its role, a user's assignment to a role. Ids are integers from
// sequences, taken before the first event that records one. A role's grants and assignments go with it.
// Assignments name users by id without a foreign key: the users table is another projection, rebuilt on its own.
const roles = `
CREATE SEQUENCE identity.role_ids;
CREATE SEQUENCE identity.role_permission_ids;
CREATE SEQUENCE identity.role_assignment_ids;
CREATE TABLE identity.roles (
  id integer PRIMARY KEY,
  name text NOT NULL,
  workspace text NOT NULL,
  description text,
  UNIQUE (workspace, name)
);
CREATE TABLE identity.role_permissions (
  id integer PRIMARY KEY,
  role_id integer NOT NULL REFERENCES identity.roles (id) ON DELETE CASCADE,
  resource_type text NOT NULL,
  resource_pattern text NOT NULL,
  permission text NOT NULL,
  UNIQUE (role_id, resource_type, resource_pattern)
);
CREATE TABLE identity.user_role_assignments (
  id integer PRIMARY KEY,
  user_id integer NOT NULL,
  role_id integer NOT NULL REFERENCES identity.roles (id) ON DELETE CASCADE,
  UNIQUE (user_id, role_id)
);
CREATE INDEX user_role_assignments_by_role ON identity.user_role_assignments (role_id);
`;

export class IdentityRoles1797000000000 extends SqlMigration {
  constructor() {
    super(roles);
  }
}
