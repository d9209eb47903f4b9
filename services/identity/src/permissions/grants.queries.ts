import { Inject, Injectable } from '@nestjs/common';
import { Grant, WILDCARD, WORKSPACE } from '@logbook/access';
import { Database } from '@logbook/platform';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';
import { isUserRoleName } from '../roles/role.decider';
import { DATABASE } from '../shared/tokens';

/** One row of users/current/permissions and users/permissions/list, keys sorted as Flask's jsonify does. */
export interface PermissionRow {
  permission: string;
  resource_pattern: string;
  resource_type: string;
  role_id: number;
  role_name: string;
  workspace: string;
}

/** The grants users hold through their roles, as authorization asks about them. */
@Injectable()
export class GrantsQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Every grant of every role the user holds in the workspace, on these types and the workspace itself. */
  async inWorkspace(userId: number, workspace: string, resourceTypes: string[]): Promise<Grant[]> {
    const { rows } = await this.db.query<Grant>(
      `SELECT p.resource_type AS "resourceType", p.resource_pattern AS "resourcePattern", p.permission
       FROM ${IDENTITY_SCHEMA}.user_role_assignments a
       JOIN ${IDENTITY_SCHEMA}.roles r ON r.id = a.role_id
       JOIN ${IDENTITY_SCHEMA}.role_permissions p ON p.role_id = r.id
       WHERE a.user_id = $1 AND r.workspace = $2 AND p.resource_type = ANY($3::text[])`,
      [userId, workspace, [...resourceTypes, WORKSPACE]],
    );
    return rows;
  }

  /** Every grant of the roles the user holds in the workspace and of the roles named there, of every type. */
  async ofUserAndRoles(userId: number, workspace: string, roleNames: string[]): Promise<Grant[]> {
    const { rows } = await this.db.query<Grant>(
      `SELECT p.resource_type AS "resourceType", p.resource_pattern AS "resourcePattern", p.permission
       FROM ${IDENTITY_SCHEMA}.roles r
       JOIN ${IDENTITY_SCHEMA}.role_permissions p ON p.role_id = r.id
       WHERE r.workspace = $2
         AND (r.id IN (SELECT role_id FROM ${IDENTITY_SCHEMA}.user_role_assignments WHERE user_id = $1)
              OR r.name = ANY($3::text[]))`,
      [userId, workspace, roleNames],
    );
    return rows;
  }

  /** The names of the named roles assigned to the user in the workspace: what approval policies take approvers from. */
  async roleNamesOf(userId: number, workspace: string): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>(
      `SELECT r.name
       FROM ${IDENTITY_SCHEMA}.user_role_assignments a
       JOIN ${IDENTITY_SCHEMA}.roles r ON r.id = a.role_id
       WHERE a.user_id = $1 AND r.workspace = $2`,
      [userId, workspace],
    );
    // The user's own role holds their per-user grants (MLflow's representation), and is no role a policy names.
    return rows.map((row) => row.name).filter((name) => !isUserRoleName(name));
  }

  /** The workspaces where the user holds (workspace, *, MANAGE) through some role. */
  async administeredWorkspaces(userId: number): Promise<Set<string>> {
    const { rows } = await this.db.query<{ workspace: string }>(
      `SELECT DISTINCT r.workspace
       FROM ${IDENTITY_SCHEMA}.user_role_assignments a
       JOIN ${IDENTITY_SCHEMA}.roles r ON r.id = a.role_id
       JOIN ${IDENTITY_SCHEMA}.role_permissions p ON p.role_id = r.id
       WHERE a.user_id = $1 AND p.resource_type = $2 AND p.resource_pattern = $3 AND p.permission = 'MANAGE'`,
      [userId, WORKSPACE, WILDCARD],
    );
    return new Set(rows.map((row) => row.workspace));
  }

  /** The workspaces where the user holds any role. */
  async memberWorkspaces(userId: number): Promise<Set<string>> {
    const { rows } = await this.db.query<{ workspace: string }>(
      `SELECT DISTINCT r.workspace
       FROM ${IDENTITY_SCHEMA}.user_role_assignments a
       JOIN ${IDENTITY_SCHEMA}.roles r ON r.id = a.role_id
       WHERE a.user_id = $1`,
      [userId],
    );
    return new Set(rows.map((row) => row.workspace));
  }

  /** Every grant of every role the user holds, with the role that grants it. */
  async rowsOf(userId: number): Promise<PermissionRow[]> {
    const { rows } = await this.db.query<PermissionRow>(
      `SELECT p.permission, p.resource_pattern, p.resource_type, r.id AS role_id, r.name AS role_name, r.workspace
       FROM ${IDENTITY_SCHEMA}.user_role_assignments a
       JOIN ${IDENTITY_SCHEMA}.roles r ON r.id = a.role_id
       JOIN ${IDENTITY_SCHEMA}.role_permissions p ON p.role_id = r.id
       WHERE a.user_id = $1
       ORDER BY r.id, p.id`,
      [userId],
    );
    return rows;
  }
}
