import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { Queryable } from '@logbook/platform';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';
import { RoleEvent } from './role.events';

async function applyRoleEvent(tx: Queryable, event: RoleEvent): Promise<void> {
  switch (event.type) {
    case 'RoleCreated': {
      const { roleId, name, workspace, description } = event.data;
      await tx.query(
        `INSERT INTO ${IDENTITY_SCHEMA}.roles (id, name, workspace, description) VALUES ($1, $2, $3, $4)`,
        [roleId, name, workspace, description],
      );
      return;
    }
    case 'RoleRenamed':
      await tx.query(`UPDATE ${IDENTITY_SCHEMA}.roles SET name = $2 WHERE id = $1`, [
        event.data.roleId,
        event.data.name,
      ]);
      return;
    case 'RoleDescribed':
      await tx.query(`UPDATE ${IDENTITY_SCHEMA}.roles SET description = $2 WHERE id = $1`, [
        event.data.roleId,
        event.data.description,
      ]);
      return;
    case 'RoleDeleted':
      // Its grants and assignments go by the foreign keys' cascade.
      await tx.query(`DELETE FROM ${IDENTITY_SCHEMA}.roles WHERE id = $1`, [event.data.roleId]);
      return;
    case 'RolePermissionAdded': {
      const { rolePermissionId, roleId, resourceType, resourcePattern, permission } = event.data;
      await tx.query(
        `INSERT INTO ${IDENTITY_SCHEMA}.role_permissions (id, role_id, resource_type, resource_pattern, permission)
         VALUES ($1, $2, $3, $4, $5)`,
        [rolePermissionId, roleId, resourceType, resourcePattern, permission],
      );
      return;
    }
    case 'RolePermissionUpdated':
      await tx.query(`UPDATE ${IDENTITY_SCHEMA}.role_permissions SET permission = $2 WHERE id = $1`, [
        event.data.rolePermissionId,
        event.data.permission,
      ]);
      return;
    case 'RolePermissionRetargeted':
      await tx.query(`UPDATE ${IDENTITY_SCHEMA}.role_permissions SET resource_pattern = $2 WHERE id = $1`, [
        event.data.rolePermissionId,
        event.data.resourcePattern,
      ]);
      return;
    case 'RolePermissionRemoved':
      await tx.query(`DELETE FROM ${IDENTITY_SCHEMA}.role_permissions WHERE id = $1`, [event.data.rolePermissionId]);
      return;
    case 'UserAssigned':
      await tx.query(
        `INSERT INTO ${IDENTITY_SCHEMA}.user_role_assignments (id, user_id, role_id) VALUES ($1, $2, $3)`,
        [event.data.assignmentId, event.data.userId, event.data.roleId],
      );
      return;
    case 'UserUnassigned':
      await tx.query(`DELETE FROM ${IDENTITY_SCHEMA}.user_role_assignments WHERE id = $1`, [event.data.assignmentId]);
      return;
  }
}

/**
 * Roles, their grants and their holders, kept in the append's transaction: a grant applies to the next
 * request. A unique index refusing a row (a concurrent writer took the name) fails the append.
 */
export const rolesProjection: InlineProjection = {
  name: 'roles',
  tables: [
    `${IDENTITY_SCHEMA}.role_permissions`,
    `${IDENTITY_SCHEMA}.user_role_assignments`,
    `${IDENTITY_SCHEMA}.roles`,
  ],
  async apply(tx, events: EventEnvelope[]) {
    for (const event of events) {
      if (event.streamType === 'role') await applyRoleEvent(tx, event as unknown as RoleEvent);
    }
  },
};
