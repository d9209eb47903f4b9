import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Principal } from '@logbook/platform';
import { AccessDecisions, GrantSource, GRANTS_TTL_MS, Subject } from './access-decisions';
import { UserGrants } from './decisions';

/** A grant source whose grants a spec changes, counting how often they are read. */
function changingSource(initial: UserGrants) {
  const state = { grants: initial, reads: 0, creatorGrants: [] as string[] };
  const source: GrantSource = {
    grantsOf: async () => {
      state.reads += 1;
      return state.grants;
    },
    userNamed: async () => null,
    grantCreator: async (subject: Subject, type: string, id: string) => {
      state.creatorGrants.push(`${subject.username}:${type}:${id}`);
    },
    resourceRenamed: async () => undefined,
    resourceDeleted: async () => undefined,
  };
  return { state, source };
}

const alice: Principal = { actor: { id: '7', kind: 'user', name: 'alice', authMethod: 'basic' }, isAdmin: false };
const readToken: Principal = {
  actor: { id: 'token-1', kind: 'service', name: 'ci', authMethod: 'token' },
  isAdmin: false,
  token: { ownerId: '7', ownerName: 'alice', scope: 'READ' },
};
const experimentOne = { resourceType: 'experiment', resourceId: '1' };
const nothing: UserGrants = { grants: [], defaultPermission: 'NO_PERMISSIONS', roles: [] };
const editOnOne: UserGrants = {
  grants: [{ resourceType: 'experiment', resourcePattern: '1', permission: 'EDIT' }],
  defaultPermission: 'NO_PERMISSIONS',
  roles: [],
};

describe('access decisions', () => {
  it('reuses grants that allow, within their lifetime', async () => {
    const { state, source } = changingSource(editOnOne);
    let now = 0;
    const decisions = new AccessDecisions(source, () => now);
    assert.equal(await decisions.may(alice, experimentOne, 'update'), true);
    assert.equal(await decisions.may(alice, experimentOne, 'read'), true);
    assert.equal(state.reads, 1);
    now += GRANTS_TTL_MS;
    assert.equal(await decisions.may(alice, experimentOne, 'read'), true);
    assert.equal(state.reads, 2);
  });

  it('reads the grants again before refusing, so a new grant takes effect at once', async () => {
    const { state, source } = changingSource(nothing);
    const decisions = new AccessDecisions(source, () => 0);
    assert.equal(await decisions.may(alice, experimentOne, 'update'), false);
    state.grants = editOnOne;
    assert.equal(await decisions.may(alice, experimentOne, 'update'), true);
  });

  it('lets a revocation take effect within the lifetime of the grants read', async () => {
    const { state, source } = changingSource(editOnOne);
    let now = 0;
    const decisions = new AccessDecisions(source, () => now);
    assert.equal(await decisions.may(alice, experimentOne, 'update'), true);
    state.grants = nothing;
    now += GRANTS_TTL_MS;
    assert.equal(await decisions.may(alice, experimentOne, 'update'), false);
  });

  it('reads the grants again when a request carries a newer grants version, so a revocation applies at once', async () => {
    const { state, source } = changingSource(editOnOne);
    const decisions = new AccessDecisions(source, () => 0);
    assert.equal(await decisions.may({ ...alice, grantsVersion: 1 }, experimentOne, 'update'), true);
    state.grants = nothing;
    assert.equal(await decisions.may({ ...alice, grantsVersion: 1 }, experimentOne, 'update'), true, 'same version');
    assert.equal(await decisions.may({ ...alice, grantsVersion: 2 }, experimentOne, 'update'), false);
    assert.deepEqual(await decisions.readable({ ...alice, grantsVersion: 2 }, 'experiment'), { all: false, only: [] });
  });

  it("caps a token at its scope, on its owner's grants", async () => {
    const decisions = new AccessDecisions(changingSource(editOnOne).source);
    assert.equal(await decisions.may(readToken, experimentOne, 'read'), true);
    assert.equal(await decisions.may(readToken, experimentOne, 'update'), false);
    assert.equal(await decisions.mayCreate(readToken, 'experiment'), false);
    assert.equal(await decisions.mayCreate(alice, 'experiment'), true);
  });

  it('lets an admin do anything without reading grants, and a system actor nothing', async () => {
    const { state, source } = changingSource(nothing);
    const decisions = new AccessDecisions(source);
    assert.equal(await decisions.may({ ...alice, isAdmin: true }, experimentOne, 'manage'), true);
    const system: Principal = { actor: { id: 'x', kind: 'system', name: 'x', authMethod: 'none' }, isAdmin: false };
    assert.equal(await decisions.may(system, experimentOne, 'read'), false);
    assert.equal(state.reads, 0);
  });

  it("grants a creator MANAGE as the token's owner, and forgets the grants read before", async () => {
    const { state, source } = changingSource(nothing);
    const decisions = new AccessDecisions(source, () => 0);
    assert.equal(await decisions.may(alice, experimentOne, 'read'), false);
    await decisions.grantCreator(readToken, 'experiment', '1');
    assert.deepEqual(state.creatorGrants, ['alice:experiment:1']);
    const reads = state.reads;
    await decisions.readable(alice, 'experiment');
    assert.equal(state.reads, reads + 1);
  });
});
