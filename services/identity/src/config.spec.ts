import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadIdentityConfig } from './config';

describe('identity config', () => {
  it('takes the admin with its password, or neither', () => {
    assert.equal(loadIdentityConfig({}).admin, null);
    assert.deepEqual(
      loadIdentityConfig({ LOGBOOK_ADMIN_USERNAME: 'root', LOGBOOK_ADMIN_PASSWORD: 'root password 12' }).admin,
      { username: 'root', password: 'root password 12' },
    );
  });

  it('refuses one without the other, a short password and the old default', () => {
    assert.throws(() => loadIdentityConfig({ LOGBOOK_ADMIN_USERNAME: 'root' }), /LOGBOOK_ADMIN_PASSWORD must be set/);
    assert.throws(() => loadIdentityConfig({ LOGBOOK_ADMIN_PASSWORD: 'root password 12' }), /LOGBOOK_ADMIN_USERNAME/);
    assert.throws(
      () => loadIdentityConfig({ LOGBOOK_ADMIN_USERNAME: 'root', LOGBOOK_ADMIN_PASSWORD: 'short' }),
      /at least 12 characters/,
    );
    assert.throws(
      () => loadIdentityConfig({ LOGBOOK_ADMIN_USERNAME: 'root', LOGBOOK_ADMIN_PASSWORD: 'password1234' }),
      /insecure default/,
    );
    assert.throws(
      () => loadIdentityConfig({ LOGBOOK_ADMIN_USERNAME: '', LOGBOOK_ADMIN_PASSWORD: 'root password 12' }),
      /must not be empty/,
    );
  });

  it('takes the default permission of resources nobody granted, READ unless set', () => {
    assert.equal(loadIdentityConfig({}).defaultPermission, 'READ');
    assert.equal(
      loadIdentityConfig({ LOGBOOK_DEFAULT_PERMISSION: 'NO_PERMISSIONS' }).defaultPermission,
      'NO_PERMISSIONS',
    );
    assert.throws(
      () => loadIdentityConfig({ LOGBOOK_DEFAULT_PERMISSION: 'DENY' }),
      /LOGBOOK_DEFAULT_PERMISSION must be one of READ, USE, EDIT, MANAGE, NO_PERMISSIONS/,
    );
    assert.throws(() => loadIdentityConfig({ LOGBOOK_DEFAULT_PERMISSION: 'read' }), /LOGBOOK_DEFAULT_PERMISSION/);
  });
});
