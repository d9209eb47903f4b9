import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Announcements } from './announcements';

/** A lookup that finds nothing until `announce()`, counting how often it was asked. */
function lookupOfAnOwner() {
  let announced = false;
  const asked = { times: 0 };
  return {
    asked,
    announce: () => (announced = true),
    lookup: async () => {
      asked.times++;
      return announced ? 'the owner' : undefined;
    },
  };
}

describe('Announcements: waiting for tracking to announce an owner', () => {
  it('given an owner already known, when waited for, then it answers from the first lookup', async () => {
    const announcements = new Announcements();
    const owner = lookupOfAnOwner();
    owner.announce();
    assert.equal(await announcements.until(owner.lookup, 60_000), 'the owner');
    assert.equal(owner.asked.times, 1);
  });

  it('given an owner announced while waiting, when the consumer has handled the event, then it answers at once', async () => {
    const announcements = new Announcements();
    const owner = lookupOfAnOwner();
    const started = Date.now();
    const waiting = announcements.until(owner.lookup, 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    owner.announce();
    announcements.handled();
    assert.equal(await waiting, 'the owner');
    assert.equal(owner.asked.times, 2);
    assert.ok(Date.now() - started < 1000, 'long before the deadline');
  });

  it('given events handled that announce other owners, when each is handled, then it looks again each time', async () => {
    const announcements = new Announcements();
    const owner = lookupOfAnOwner();
    const waiting = announcements.until(owner.lookup, 60_000);
    for (let event = 0; event < 3; event++) {
      await new Promise((resolve) => setImmediate(resolve));
      announcements.handled();
    }
    await new Promise((resolve) => setImmediate(resolve));
    owner.announce();
    announcements.handled();
    assert.equal(await waiting, 'the owner');
    assert.equal(owner.asked.times, 5);
  });

  it('given an event handled while a lookup runs, when that lookup finds nothing, then the next starts at once', async () => {
    const announcements = new Announcements();
    let asked = 0;
    const lookup = async () => {
      asked++;
      if (asked === 1) announcements.handled();
      return asked === 2 ? 'the owner' : undefined;
    };
    assert.equal(await announcements.until(lookup, 60_000), 'the owner');
    assert.equal(asked, 2);
  });

  it('given nothing handled, when the deadline passes, then it looked twice: at once and at the deadline', async () => {
    const announcements = new Announcements();
    const owner = lookupOfAnOwner();
    const started = Date.now();
    assert.equal(await announcements.until(owner.lookup, 200), undefined);
    assert.ok(Date.now() - started >= 190, 'not before the deadline');
    assert.equal(owner.asked.times, 2, 'no polling in between');
  });

  it('given the owner announced by another replica, when the deadline passes, then the final lookup finds it', async () => {
    const announcements = new Announcements();
    const owner = lookupOfAnOwner();
    const waiting = announcements.until(owner.lookup, 100);
    owner.announce();
    assert.equal(await waiting, 'the owner');
    assert.equal(owner.asked.times, 2);
  });

  it('given a wait that answered, when more events are handled, then it no longer looks', async () => {
    const announcements = new Announcements();
    const owner = lookupOfAnOwner();
    const waiting = announcements.until(owner.lookup, 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    owner.announce();
    announcements.handled();
    await waiting;
    announcements.handled();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(owner.asked.times, 2);
  });
});
