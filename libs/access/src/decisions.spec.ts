import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capped, isReadable, mayCreate, permissionOn, readableSet, UserGrants } from './decisions';
import { Grant, PermissionName } from './permission-levels';

const grant = (resourceType: string, resourcePattern: string, permission: string): Grant => ({
  resourceType,
  resourcePattern,
  permission,
});
const user = (defaultPermission: PermissionName, ...grants: Grant[]): UserGrants => ({
  grants,
  defaultPermission,
  roles: [],
});
const experiment = (id: string, tier?: string) => ({ resourceType: 'experiment', resourceId: id, tier });

describe('decisions on a user grants', () => {
  describe('permissionOn', () => {
    it('is the experiment permission for a run, without a grant on the run tier', () => {
      const grants = user('NO_PERMISSIONS', grant('experiment', '1', 'EDIT'));
      assert.equal(permissionOn(grants, experiment('1', 'run')), 'EDIT');
      assert.equal(permissionOn(grants, experiment('2', 'run')), 'NO_PERMISSIONS');
    });

    it('lets a grant on the run tier decide for every run (tier override), floored to the default', () => {
      assert.equal(
        permissionOn(
          user('READ', grant('experiment', '1', 'MANAGE'), grant('run', '*', 'DENY')),
          experiment('1', 'run'),
        ),
        'DENY',
      );
      assert.equal(permissionOn(user('EDIT', grant('run', '*', 'READ')), experiment('1', 'run')), 'EDIT');
      assert.equal(permissionOn(user('NO_PERMISSIONS', grant('run', '*', 'USE')), experiment('9', 'run')), 'USE');
    });

    it('gives a workspace admin MANAGE over any DENY', () =>
      assert.equal(
        permissionOn(
          user('NO_PERMISSIONS', grant('workspace', '*', 'MANAGE'), grant('run', '*', 'DENY')),
          experiment('1', 'run'),
        ),
        'MANAGE',
      ));
  });

  it('caps a permission at a token scope, and leaves it alone without one', () => {
    assert.equal(capped('MANAGE', 'READ'), 'READ');
    assert.equal(capped('READ', 'EDIT'), 'READ');
    assert.equal(capped('DENY', 'MANAGE'), 'DENY');
    assert.equal(capped('EDIT', undefined), 'EDIT');
  });

  it('lets anyone create unless a DENY on the type or on the name says otherwise', () => {
    assert.equal(mayCreate(user('NO_PERMISSIONS'), 'experiment'), true);
    assert.equal(mayCreate(user('READ', grant('experiment', '*', 'DENY')), 'experiment'), false);
    assert.equal(mayCreate(user('READ', grant('registered_model', 'prod', 'DENY')), 'registered_model', 'prod'), false);
    assert.equal(mayCreate(user('READ', grant('registered_model', 'prod', 'DENY')), 'registered_model', 'dev'), true);
  });

  describe('readableSet', () => {
    it('is everything but the denied ids when the default reads', () => {
      const set = readableSet(
        user('READ', grant('experiment', '1', 'DENY'), grant('experiment', '2', 'EDIT')),
        'experiment',
      );
      assert.deepEqual(set, { all: true, except: ['1'] });
      assert.equal(isReadable(set, '2'), true);
      assert.equal(isReadable(set, '3'), true);
    });

    it('is only the granted ids when the default does not read, a DENY beating a grant beside it', () => {
      const set = readableSet(
        user(
          'NO_PERMISSIONS',
          grant('experiment', '1', 'READ'),
          grant('experiment', '2', 'MANAGE'),
          grant('experiment', '2', 'DENY'),
          grant('registered_model', '3', 'READ'),
        ),
        'experiment',
      );
      assert.deepEqual(set, { all: false, only: ['1'] });
    });

    it('follows a wildcard grant on the type, and a wildcard DENY hides all', () => {
      assert.deepEqual(readableSet(user('NO_PERMISSIONS', grant('experiment', '*', 'READ')), 'experiment'), {
        all: true,
        except: [],
      });
      assert.deepEqual(
        readableSet(user('READ', grant('experiment', '*', 'DENY'), grant('experiment', '4', 'MANAGE')), 'experiment'),
        { all: false, only: [] },
      );
    });

    it('follows the tier when a listing shows its rows', () => {
      const grants = user('READ', grant('run', '*', 'DENY'));
      assert.deepEqual(readableSet(grants, 'experiment', 'run'), { all: false, only: [] });
      assert.deepEqual(readableSet(grants, 'experiment'), { all: true, except: [] });
    });

    it('agrees with permissionOn for every id a grant names', () => {
      const grants = user(
        'NO_PERMISSIONS',
        grant('experiment', '1', 'READ'),
        grant('experiment', '2', 'DENY'),
        grant('experiment', '3', 'USE'),
      );
      const set = readableSet(grants, 'experiment');
      for (const id of ['1', '2', '3', '4']) {
        assert.equal(
          isReadable(set, id),
          permissionOn(grants, experiment(id)) !== 'NO_PERMISSIONS' && permissionOn(grants, experiment(id)) !== 'DENY',
          id,
        );
      }
    });
  });
});
