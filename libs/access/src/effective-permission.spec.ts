import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectivePermission, foldGrants } from './effective-permission';
import { Grant, PermissionName } from './permission-levels';

const grant = (resourceType: string, resourcePattern: string, permission: string): Grant => ({
  resourceType,
  resourcePattern,
  permission,
});
const experiment = (id: string) => ({ resourceType: 'experiment', resourceId: id });
const resolve = (grants: Grant[], id = '1', fallback: PermissionName = 'READ') =>
  effectivePermission(grants, experiment(id), fallback);

describe('effective permission (MLflow 3.17, workspaces off)', () => {
  describe('with no grant on the resource', () => {
    it('is the default permission, whatever it is', () => {
      assert.equal(resolve([]), 'READ');
      assert.equal(resolve([], '1', 'NO_PERMISSIONS'), 'NO_PERMISSIONS');
      assert.equal(resolve([], '1', 'EDIT'), 'EDIT');
    });

    it('ignores grants on other resources, other types, and workspace membership', () => {
      const grants = [
        grant('experiment', '2', 'MANAGE'),
        grant('registered_model', '1', 'MANAGE'),
        grant('registered_model', '*', 'DENY'),
        grant('workspace', '*', 'USE'),
      ];
      assert.equal(resolve(grants, '1', 'NO_PERMISSIONS'), 'NO_PERMISSIONS');
    });

    it('matches a pattern literally: a glob-looking one names only a resource called so', () => {
      assert.equal(resolve([grant('experiment', 'prod-*', 'MANAGE')], 'prod-1', 'NO_PERMISSIONS'), 'NO_PERMISSIONS');
      assert.equal(resolve([grant('experiment', 'prod-*', 'MANAGE')], 'prod-*', 'NO_PERMISSIONS'), 'MANAGE');
    });

    it('ignores an id grant on a type that takes only wildcards, and a type it does not know', () => {
      assert.equal(
        effectivePermission([grant('run', 'abc', 'MANAGE')], { resourceType: 'run', resourceId: 'abc' }, 'READ'),
        'READ',
      );
      assert.equal(
        effectivePermission([grant('run', '*', 'EDIT')], { resourceType: 'run', resourceId: 'abc' }, 'READ'),
        'EDIT',
      );
      assert.equal(
        effectivePermission([grant('widget', '*', 'EDIT')], { resourceType: 'widget', resourceId: 'x' }, 'READ'),
        'READ',
      );
    });
  });

  describe('with grants', () => {
    it('takes the highest of every matching grant, wildcard and exact id alike', () => {
      assert.equal(resolve([grant('experiment', '*', 'USE'), grant('experiment', '1', 'EDIT')]), 'EDIT');
      assert.equal(resolve([grant('experiment', '*', 'MANAGE'), grant('experiment', '1', 'USE')]), 'MANAGE');
    });

    it("folds a direct grant with a role's, neither taking precedence (observed: direct READ + role EDIT is EDIT)", () => {
      const direct = grant('experiment', '1', 'READ');
      const role = grant('experiment', '1', 'EDIT');
      assert.equal(resolve([direct, role]), 'EDIT');
      assert.equal(resolve([role, direct]), 'EDIT');
    });

    it('lets any DENY win (observed: role * DENY + direct READ, role id DENY + direct MANAGE)', () => {
      assert.equal(resolve([grant('experiment', '*', 'DENY'), grant('experiment', '1', 'READ')]), 'DENY');
      assert.equal(resolve([grant('experiment', '1', 'MANAGE'), grant('experiment', '1', 'DENY')]), 'DENY');
      assert.equal(resolve([grant('experiment', '1', 'DENY')], '1', 'MANAGE'), 'DENY');
    });

    it('floors a positive grant to the default, never below it', () => {
      assert.equal(resolve([grant('experiment', '1', 'READ')], '1', 'EDIT'), 'EDIT');
      assert.equal(resolve([grant('experiment', '1', 'USE')], '1', 'NO_PERMISSIONS'), 'USE');
      assert.equal(resolve([grant('experiment', '1', 'MANAGE')], '1', 'READ'), 'MANAGE');
    });

    it('gives a workspace admin MANAGE on everything, over a DENY (observed)', () => {
      const admin = grant('workspace', '*', 'MANAGE');
      assert.equal(resolve([admin], '42', 'NO_PERMISSIONS'), 'MANAGE');
      assert.equal(resolve([grant('experiment', '1', 'DENY'), admin]), 'MANAGE');
      assert.equal(
        effectivePermission([admin], { resourceType: 'scorer', resourceId: '1/name' }, 'NO_PERMISSIONS'),
        'MANAGE',
      );
    });

    it('gives workspace USE no access to a resource (observed 403)', () =>
      assert.equal(resolve([grant('workspace', '*', 'USE')], '1', 'NO_PERMISSIONS'), 'NO_PERMISSIONS'));
  });

  describe('the fold alone', () => {
    it('is silent without a matching grant, so the caller decides what absence means', () => {
      assert.equal(foldGrants([], experiment('1')), null);
      assert.equal(foldGrants([grant('experiment', '2', 'READ')], experiment('1')), null);
    });

    it('answers the wildcard key with wildcard grants', () =>
      assert.equal(
        foldGrants([grant('experiment', '*', 'EDIT')], { resourceType: 'experiment', resourceId: '*' }),
        'EDIT',
      ));
  });
});
