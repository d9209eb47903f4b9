import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grantProblem, PERMISSION_LEVELS, patternProblem, permissionProblem } from './permission-levels';

describe('permission levels (MLflow 3.17)', () => {
  it('orders the levels, DENY below none', () => {
    const order = Object.values(PERMISSION_LEVELS).sort((a, b) => a.priority - b.priority);
    assert.deepEqual(
      order.map((level) => level.name),
      ['DENY', 'NO_PERMISSIONS', 'READ', 'USE', 'EDIT', 'MANAGE'],
    );
    assert.equal(PERMISSION_LEVELS.READ.canUse, false);
    assert.equal(PERMISSION_LEVELS.USE.canUse, true);
    assert.equal(PERMISSION_LEVELS.EDIT.canDelete, false);
    assert.equal(PERMISSION_LEVELS.MANAGE.canManage, true);
  });

  it("refuses an unknown permission with MLflow's words, case-sensitively", () => {
    assert.equal(
      permissionProblem('read'),
      "Invalid permission 'read'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY')",
    );
    assert.equal(permissionProblem('READ'), null);
  });

  it('checks the permission, then the type, then what the type may be granted', () => {
    assert.match(grantProblem('WRITE', 'widget') ?? '', /^Invalid permission 'WRITE'\./);
    assert.equal(
      grantProblem('READ', 'widget'),
      "Invalid resource type 'widget'. Valid resource types are: ('assessment', 'experiment', 'gateway_endpoint', 'gateway_model_definition', 'gateway_secret', 'logged_model', 'mcp_server', 'mcp_server_version', 'prompt', 'prompt_version', 'registered_model', 'registered_model_version', 'review_queue', 'run', 'scorer', 'scorer_version', 'trace', 'workspace')",
    );
    assert.equal(
      grantProblem('READ', 'workspace'),
      "Invalid permission 'READ' for resource_type='workspace'. Workspace-wide grants accept only: ('MANAGE', 'USE').",
    );
    assert.equal(
      grantProblem('NO_PERMISSIONS', 'experiment'),
      "Invalid permission 'NO_PERMISSIONS' for resource_type='experiment'. Resource-level grants accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE').",
    );
    assert.equal(grantProblem('DENY', 'run'), null);
    assert.equal(grantProblem('MANAGE', 'workspace'), null);
  });

  it('takes an id pattern only on types that name single resources', () => {
    assert.equal(
      patternProblem('abc', 'run'),
      "Invalid resource_pattern 'abc' for resource_type='run'. This resource type supports only wildcard ('*') grants.",
    );
    assert.equal(patternProblem('abc', 'workspace')?.startsWith("Invalid resource_pattern 'abc'"), true);
    assert.equal(patternProblem('*', 'run'), null);
    assert.equal(patternProblem('prod-*', 'experiment'), null);
  });
});
