import { Inject, Injectable } from '@nestjs/common';
import { Database, Queryable } from '@logbook/platform';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';
import { DATABASE } from '../shared/tokens';
import { roleNotFound, userRoleName } from './role.decider';

/** MLflow's RolePermission.to_json, keys in the order Flask's jsonify sorts them into. */
export interface RolePermissionView {
  id: number;
  permission: string;
  resource_pattern: string;
  resource_type: string;
  role_id: number;
}

/** MLflow's Role.to_json, sorted likewise; its grants oldest first. */
export interface RoleView {
  description: string | null;
  id: number;
  name: string;
  permissions: RolePermissionView[];
  workspace: string;
}

/** MLflow's UserRoleAssignment.to_json. */
export interface AssignmentView {
  id: number;
  role_id: number;
  user_id: number;
}

interface RoleRow {
  id: number;
  name: string;
  workspace: string;
  description: string | null;
  permissions: RolePermissionView[];
}

/** Every role the condition keeps, each with its grants, in one statement; `r` is the role. */
const ROLE_VIEWS = (condition: string) => `
  SELECT r.id, r.name, r.workspace, r.description,
         COALESCE(
           json_agg(
             json_build_object('id', p.id, 'permission', p.permission, 'resource_pattern', p.resource_pattern,
                               'resource_type', p.resource_type, 'role_id', p.role_id)
             ORDER BY p.id
           ) FILTER (WHERE p.id IS NOT NULL),
           '[]'
         ) AS permissions
  FROM ${IDENTITY_SCHEMA}.roles r
  LEFT JOIN ${IDENTITY_SCHEMA}.role_permissions p ON p.role_id = r.id
  WHERE ${condition}
  GROUP BY r.id
  ORDER BY r.id`;

export const roleView = (row: RoleRow): RoleView => ({
  description: row.description,
  id: row.id,
  name: row.name,
  permissions: typeof row.permissions === 'string' ? JSON.parse(row.permissions) : row.permissions,
  workspace: row.workspace,
});

/**
 * Ids are integers from sequences: a number beyond them (Python's int() takes any size, and JSON numbers
 * past 2^53 are not even exact) names nothing, and is not sent to Postgres, which would refuse the cast.
 */
const isPossibleId = (id: number) => Number.isSafeInteger(id) && Math.abs(id) <= 2_147_483_647;

@Injectable()
export class RolesQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async findByName(workspace: string, name: string): Promise<{ id: number } | null> {
    const { rows } = await this.db.query<{ id: number }>(
      `SELECT id FROM ${IDENTITY_SCHEMA}.roles WHERE workspace = $1 AND name = $2`,
      [workspace, name],
    );
    return rows[0] ?? null;
  }

  async workspaceOf(roleId: number): Promise<string | null> {
    if (!isPossibleId(roleId)) return null;
    const { rows } = await this.db.query<{ workspace: string }>(
      `SELECT workspace FROM ${IDENTITY_SCHEMA}.roles WHERE id = $1::bigint`,
      [roleId],
    );
    return rows[0]?.workspace ?? null;
  }

  async roleOfPermission(rolePermissionId: number): Promise<number | null> {
    if (!isPossibleId(rolePermissionId)) return null;
    const { rows } = await this.db.query<{ role_id: number }>(
      `SELECT role_id FROM ${IDENTITY_SCHEMA}.role_permissions WHERE id = $1::bigint`,
      [rolePermissionId],
    );
    return rows[0]?.role_id ?? null;
  }

  async get(roleId: number): Promise<RoleView> {
    if (!isPossibleId(roleId)) throw roleNotFound(roleId);
    const { rows } = await this.db.query<RoleRow>(ROLE_VIEWS('r.id = $1::bigint'), [roleId]);
    if (rows.length === 0) throw roleNotFound(roleId);
    return roleView(rows[0]);
  }

  /** Every role, or those of the workspaces named. */
  async list(workspaces?: string[]): Promise<RoleView[]> {
    const { rows } = workspaces
      ? await this.db.query<RoleRow>(ROLE_VIEWS('r.workspace = ANY($1::text[])'), [workspaces])
      : await this.db.query<RoleRow>(ROLE_VIEWS('true'));
    return rows.map(roleView);
  }

  async permissions(roleId: number): Promise<RolePermissionView[]> {
    return (await this.get(roleId)).permissions;
  }

  /** The roles a user holds, in the order they were made. */
  async ofUser(userId: number): Promise<RoleView[]> {
    const { rows } = await this.db.query<RoleRow>(
      ROLE_VIEWS(`r.id IN (SELECT role_id FROM ${IDENTITY_SCHEMA}.user_role_assignments WHERE user_id = $1)`),
      [userId],
    );
    return rows.map(roleView);
  }

  /** Every user's roles, keyed by user id, in one statement. */
  async byUser(): Promise<Map<number, RoleView[]>> {
    const roles = new Map((await this.list()).map((role) => [role.id, role]));
    const { rows } = await this.db.query<{ user_id: number; role_id: number }>(
      `SELECT user_id, role_id FROM ${IDENTITY_SCHEMA}.user_role_assignments ORDER BY role_id`,
    );
    const byUser = new Map<number, RoleView[]>();
    for (const { user_id, role_id } of rows) {
      const role = roles.get(role_id);
      if (role) byUser.set(user_id, [...(byUser.get(user_id) ?? []), role]);
    }
    return byUser;
  }

  async holders(roleId: number): Promise<AssignmentView[]> {
    await this.get(roleId);
    const { rows } = await this.db.query<AssignmentView>(
      `SELECT id, role_id, user_id FROM ${IDENTITY_SCHEMA}.user_role_assignments WHERE role_id = $1::bigint ORDER BY id`,
      [roleId],
    );
    return rows;
  }

  /** What a user's deletion ends: the roles they hold, and their own roles even if unassigned from them. */
  /** The grants, of any role, on one resource (its type and exact id). */
  async grantsOn(
    resourceType: string,
    resourceId: string,
  ): Promise<Array<{ roleId: number; rolePermissionId: number }>> {
    const { rows } = await this.db.query<{ role_id: number; id: number }>(
      `SELECT role_id, id FROM ${IDENTITY_SCHEMA}.role_permissions
       WHERE resource_type = $1 AND resource_pattern = $2 ORDER BY id`,
      [resourceType, resourceId],
    );
    return rows.map((row) => ({ roleId: Number(row.role_id), rolePermissionId: Number(row.id) }));
  }

  async heldBy(tx: Queryable, userId: number): Promise<Array<{ roleId: number; name: string }>> {
    const { rows } = await tx.query<{ id: number; name: string }>(
      `SELECT r.id, r.name FROM ${IDENTITY_SCHEMA}.roles r
       WHERE r.name = $2
          OR r.id IN (SELECT role_id FROM ${IDENTITY_SCHEMA}.user_role_assignments WHERE user_id = $1)
       ORDER BY r.id`,
      [userId, userRoleName(userId)],
    );
    return rows.map((row) => ({ roleId: row.id, name: row.name }));
  }
}
