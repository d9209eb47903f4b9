import { describe, it } from 'node:test';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { RoleCommand, roleDecider } from './role.decider';
import { RoleEvent } from './role.events';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = {
  now,
  actor: { id: 'admin', kind: 'user', name: 'admin', authMethod: 'basic' },
  requestId: 'req-1',
};
const roleId = 3;
const given = spec(roleDecider).given;

const command = <T extends RoleCommand['type']>(
  type: T,
  data: Extract<RoleCommand, { type: T }>['data'],
  id = roleId,
): RoleCommand => ({ type, roleId: id, data, metadata }) as RoleCommand;

const created: RoleEvent = {
  type: 'RoleCreated',
  data: { roleId, name: 'readers', workspace: 'default', description: null, time: now - 100 },
};
const deleted: RoleEvent = { type: 'RoleDeleted', data: { roleId, time: now - 10 } };
const readAll: RoleEvent = {
  type: 'RolePermissionAdded',
  data: { roleId, rolePermissionId: 11, resourceType: 'experiment', resourcePattern: '*', permission: 'READ' },
};
const aliceHolds: RoleEvent = { type: 'UserAssigned', data: { roleId, assignmentId: 21, userId: 5 } };

const create = (data: Partial<Extract<RoleCommand, { type: 'CreateRole' }>['data']> = {}) =>
  command('CreateRole', { name: 'readers', workspace: 'default', description: null, nameTaken: false, ...data });
const add = (resourceType: unknown, resourcePattern: unknown, permission: unknown) =>
  command('AddRolePermission', { rolePermissionId: 12, resourceType, resourcePattern, permission });
const grantToUser = (data: Partial<Extract<RoleCommand, { type: 'GrantUserPermission' }>['data']> = {}) =>
  command(
    'GrantUserPermission',
    {
      username: 'bob',
      userId: 7,
      workspace: 'default',
      assignmentId: 31,
      rolePermissionId: 41,
      resourceType: 'experiment',
      resourceId: '1',
      permission: 'EDIT',
      ...data,
    },
    9,
  );

describe('role decider', () => {
  describe('CreateRole', () => {
    it('creates the role in the workspace it names', () =>
      given([])
        .when(create({ workspace: 'team-a', description: 'Reads' }))
        .then([
          {
            type: 'RoleCreated',
            data: { roleId, name: 'readers', workspace: 'team-a', description: 'Reads', time: now },
          },
        ]));

    it('refuses a name another role of the workspace holds, without the SQL tail MLflow appends', () =>
      given([])
        .when(create({ nameTaken: true }))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'Role (name=readers, workspace=default) already exists.'));

    it("refuses an empty name or workspace, and the prefix of users' own roles", () => {
      given([])
        .when(create({ name: '  ' }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Role name cannot be empty.');
      given([])
        .when(create({ workspace: '' }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Workspace cannot be empty.');
      given([])
        .when(create({ name: '__user_99__' }))
        .thenThrows(
          'INVALID_PARAMETER_VALUE',
          "Role name '__user_99__' uses the reserved '__user_' prefix, which is held for the per-user permission representation. Choose a different name.",
        );
    });
  });

  describe('UpdateRole', () => {
    it('renames and describes, each as its own fact, and leaves out what is null', () => {
      given([created])
        .when(command('UpdateRole', { name: 'viewers', description: 'Sees', nameTaken: false }))
        .then([
          { type: 'RoleRenamed', data: { roleId, name: 'viewers', time: now } },
          { type: 'RoleDescribed', data: { roleId, description: 'Sees', time: now } },
        ]);
      given([created])
        .when(command('UpdateRole', { name: null, description: '', nameTaken: false }))
        .then([{ type: 'RoleDescribed', data: { roleId, description: '', time: now } }]);
      given([created])
        .when(command('UpdateRole', { name: 'readers', description: null, nameTaken: false }))
        .thenNothing();
    });

    it('refuses a name another role holds, the reserved prefix before the lookup, and a role that is gone', () => {
      given([created])
        .when(command('UpdateRole', { name: 'writers', description: null, nameTaken: true }))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'Role with name=writers already exists in workspace=default');
      given([])
        .when(command('UpdateRole', { name: '__user_1__', description: null, nameTaken: false }))
        .thenThrows('INVALID_PARAMETER_VALUE', "uses the reserved '__user_' prefix");
      given([created, deleted])
        .when(command('UpdateRole', { name: null, description: 'x', nameTaken: false }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Role with id=3 not found');
    });
  });

  describe('DeleteRole', () => {
    it('deletes the role once', () => {
      given([created, readAll, aliceHolds])
        .when(command('DeleteRole', {}))
        .then([{ type: 'RoleDeleted', data: { roleId, time: now } }]);
      given([created, deleted]).when(command('DeleteRole', {})).thenThrows('RESOURCE_DOES_NOT_EXIST');
      given([])
        .when(command('DeleteRole', {}, 999))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Role with id=999 not found');
    });
  });

  describe('AddRolePermission', () => {
    it('adds a grant', () =>
      given([created])
        .when(add('experiment', '42', 'EDIT'))
        .then([
          {
            type: 'RolePermissionAdded',
            data: {
              roleId,
              rolePermissionId: 12,
              resourceType: 'experiment',
              resourcePattern: '42',
              permission: 'EDIT',
            },
          },
        ]));

    it('validates the permission, the type, the level for the type and the grain before the role (MLflow order)', () => {
      given([])
        .when(add('widget', 'x', 'WRITE'))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid permission 'WRITE'.");
      given([])
        .when(add('widget', 'x', 'READ'))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid resource type 'widget'.");
      given([])
        .when(add('workspace', 'x', 'READ'))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid permission 'READ' for resource_type='workspace'.");
      given([])
        .when(add('experiment', '*', 'NO_PERMISSIONS'))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid permission 'NO_PERMISSIONS' for resource_type='experiment'.");
      given([])
        .when(add('run', 'abc', 'READ'))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid resource_pattern 'abc' for resource_type='run'.");
      given([])
        .when(add('run', '*', 'READ'))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Role with id=3 not found');
    });

    it('refuses a second grant on the same resource, and keeps a glob-looking pattern as it is', () => {
      given([created, readAll])
        .when(add('experiment', '*', 'EDIT'))
        .thenThrows(
          'RESOURCE_ALREADY_EXISTS',
          'Role permission (role_id=3, resource_type=experiment, resource_pattern=*) already exists.',
        );
      given([created])
        .when(add('experiment', 'prod-*', 'READ'))
        .then([
          {
            type: 'RolePermissionAdded',
            data: {
              roleId,
              rolePermissionId: 12,
              resourceType: 'experiment',
              resourcePattern: 'prod-*',
              permission: 'READ',
            },
          },
        ]);
    });
  });

  describe('UpdateRolePermission and RemoveRolePermission', () => {
    it('changes and removes a grant', () => {
      given([created, readAll])
        .when(command('UpdateRolePermission', { rolePermissionId: 11, permission: 'DENY' }))
        .then([{ type: 'RolePermissionUpdated', data: { roleId, rolePermissionId: 11, permission: 'DENY' } }]);
      given([created, readAll])
        .when(command('RemoveRolePermission', { rolePermissionId: 11 }))
        .then([{ type: 'RolePermissionRemoved', data: { roleId, rolePermissionId: 11 } }]);
    });

    it('finds the grant before judging the level, which must suit its type', () => {
      given([created])
        .when(command('UpdateRolePermission', { rolePermissionId: 99, permission: 'nope' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Role permission with id=99 not found');
      given([created, readAll])
        .when(command('UpdateRolePermission', { rolePermissionId: 11, permission: 'NO_PERMISSIONS' }))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid permission 'NO_PERMISSIONS' for resource_type='experiment'.");
      given([created, readAll, deleted])
        .when(command('RemoveRolePermission', { rolePermissionId: 11 }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Role permission with id=11 not found');
    });
  });

  describe('AssignUser and UnassignUser', () => {
    it('assigns a user once, and unassigns them', () => {
      given([created])
        .when(command('AssignUser', { assignmentId: 21, userId: 5 }))
        .then([{ type: 'UserAssigned', data: { roleId, assignmentId: 21, userId: 5 } }]);
      given([created, aliceHolds])
        .when(command('AssignUser', { assignmentId: 22, userId: 5 }))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'User role assignment (user_id=5, role_id=3) already exists');
      given([created, aliceHolds])
        .when(command('UnassignUser', { userId: 5 }))
        .then([{ type: 'UserUnassigned', data: { roleId, assignmentId: 21, userId: 5 } }]);
    });

    it('refuses to assign to a role that is gone, and to unassign who does not hold it', () => {
      given([created, deleted])
        .when(command('AssignUser', { assignmentId: 21, userId: 5 }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Role with id=3 not found');
      given([created])
        .when(command('UnassignUser', { userId: 4 }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'User role assignment (user_id=4, role_id=3) not found');
      given([])
        .when(command('UnassignUser', { userId: 4 }, 8))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'User role assignment (user_id=4, role_id=8) not found');
    });
  });

  describe("GrantUserPermission and RevokeUserPermission (the user's own role)", () => {
    it('makes the role and assigns it to the user with the first grant', () =>
      given([])
        .when(grantToUser())
        .then([
          {
            type: 'RoleCreated',
            data: { roleId: 9, name: '__user_7__', workspace: 'default', description: null, time: now },
          },
          { type: 'UserAssigned', data: { roleId: 9, assignmentId: 31, userId: 7 } },
          {
            type: 'RolePermissionAdded',
            data: {
              roleId: 9,
              rolePermissionId: 41,
              resourceType: 'experiment',
              resourcePattern: '1',
              permission: 'EDIT',
            },
          },
        ]));

    const own: RoleEvent[] = [
      {
        type: 'RoleCreated',
        data: { roleId: 9, name: '__user_7__', workspace: 'default', description: null, time: 1 },
      },
      { type: 'UserAssigned', data: { roleId: 9, assignmentId: 30, userId: 7 } },
      {
        type: 'RolePermissionAdded',
        data: { roleId: 9, rolePermissionId: 40, resourceType: 'experiment', resourcePattern: '1', permission: 'READ' },
      },
    ];

    it('adds later grants to it, and never changes one (insert-only)', () => {
      given(own)
        .when(grantToUser({ resourceId: '2' }))
        .then([
          {
            type: 'RolePermissionAdded',
            data: {
              roleId: 9,
              rolePermissionId: 41,
              resourceType: 'experiment',
              resourcePattern: '2',
              permission: 'EDIT',
            },
          },
        ]);
      given(own)
        .when(grantToUser())
        .thenThrows(
          'RESOURCE_ALREADY_EXISTS',
          'Permission for user=bob on resource_type=experiment, resource_id=1 already exists.',
        );
    });

    it('refuses workspace grants first, then what a role permission refuses', () => {
      given([])
        .when(grantToUser({ resourceType: 'workspace', resourceId: '*', permission: 'bogus' }))
        .thenThrows('INVALID_PARAMETER_VALUE', "resource_type 'workspace' is not supported");
      given([])
        .when(grantToUser({ resourceType: 'run', resourceId: 'abc' }))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid resource_pattern 'abc' for resource_type='run'.");
      given([])
        .when(grantToUser({ permission: 'NO_PERMISSIONS' }))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid permission 'NO_PERMISSIONS'");
    });

    it('revokes exactly the grant named, or says it is not there', () => {
      given(own)
        .when(command('RevokeUserPermission', { username: 'bob', resourceType: 'experiment', resourceId: '1' }, 9))
        .then([{ type: 'RolePermissionRemoved', data: { roleId: 9, rolePermissionId: 40 } }]);
      given(own)
        .when(command('RevokeUserPermission', { username: 'bob', resourceType: 'experiment', resourceId: '*' }, 9))
        .thenThrows(
          'RESOURCE_DOES_NOT_EXIST',
          'Permission for user=bob on resource_type=experiment, resource_id=* not found.',
        );
      given([])
        .when(command('RevokeUserPermission', { username: 'bob', resourceType: 'widget', resourceId: '1' }))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid resource type 'widget'.");
    });
  });

  describe('RetargetRolePermission (a resource renamed)', () => {
    const onModel = (rolePermissionId: number, pattern: string): RoleEvent => ({
      type: 'RolePermissionAdded',
      data: {
        roleId,
        rolePermissionId,
        resourceType: 'registered_model',
        resourcePattern: pattern,
        permission: 'EDIT',
      },
    });
    const retarget = (from: string, to: string) =>
      command('RetargetRolePermission', { resourceType: 'registered_model', from, to });

    it('moves the grant on the old name to the new one', () =>
      given([created, onModel(13, 'fraud')])
        .when(retarget('fraud', 'fraud-v2'))
        .then([
          { type: 'RolePermissionRetargeted', data: { roleId, rolePermissionId: 13, resourcePattern: 'fraud-v2' } },
        ]));

    it('gives way to a grant the role already holds on the new name', () =>
      given([created, onModel(13, 'fraud'), onModel(14, 'fraud-v2')])
        .when(retarget('fraud', 'fraud-v2'))
        .then([{ type: 'RolePermissionRemoved', data: { roleId, rolePermissionId: 13 } }]));

    it('changes nothing for a role without a grant on the old name, or a deleted role', () => {
      given([created, readAll]).when(retarget('fraud', 'fraud-v2')).then([]);
      given([created, onModel(13, 'fraud'), deleted])
        .when(retarget('fraud', 'fraud-v2'))
        .then([]);
    });
  });
});
