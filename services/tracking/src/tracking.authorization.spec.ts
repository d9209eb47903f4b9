import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ACCESS_RULES, AccessRule } from '@logbook/access';
import { Database } from '@logbook/platform';
import { intersectReadable, OWNER_CACHE_SIZE, RunExperimentLookup } from './shared/access';
import { TRACKING_CONTROLLERS } from './tracking.module';

describe('tracking authorization', () => {
  it('gives every route of every tracking controller access rules (a route without any is refused to all)', () => {
    let routes = 0;
    for (const controller of TRACKING_CONTROLLERS) {
      const prototype = controller.prototype as unknown as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        routes++;
        const rules: AccessRule[] | undefined =
          Reflect.getMetadata(ACCESS_RULES, handler) ?? Reflect.getMetadata(ACCESS_RULES, controller);
        assert.ok(rules && rules.length > 0, `${controller.name}.${name} has no access rules`);
      }
    }
    assert.ok(routes >= 34, `found only ${routes} routes`);
  });

  describe('intersectReadable', () => {
    it('keeps what both sets let the caller read', () => {
      assert.deepEqual(intersectReadable({ all: true, except: ['1'] }, { all: true, except: ['2', '1'] }), {
        all: true,
        except: ['1', '2'],
      });
      assert.deepEqual(intersectReadable({ all: true, except: ['1'] }, { all: false, only: ['1', '2'] }), {
        all: false,
        only: ['2'],
      });
      assert.deepEqual(intersectReadable({ all: false, only: ['1', '2'] }, { all: false, only: ['2', '3'] }), {
        all: false,
        only: ['2'],
      });
      assert.deepEqual(intersectReadable({ all: false, only: ['1'] }, { all: true, except: [] }), {
        all: false,
        only: ['1'],
      });
    });
  });

  describe('RunExperimentLookup', () => {
    const countingDb = (runs: Record<string, string>) => {
      const queries: unknown[][] = [];
      const db = {
        query: async (_sql: string, params: unknown[]) => {
          queries.push(params);
          const ids = params[0] as string[];
          return { rows: ids.filter((id) => id in runs).map((id) => ({ id, owner: runs[id] })) };
        },
      } as unknown as Database;
      return { db, queries };
    };

    it('reads a run’s experiment once, then answers from memory (log-batch reads no SQL for it)', async () => {
      const { db, queries } = countingDb({ r1: '7' });
      const lookup = new RunExperimentLookup(db);
      assert.equal(await lookup.ownerOf('r1'), '7');
      assert.equal(await lookup.ownerOf('r1'), '7');
      assert.equal(queries.length, 1);
    });

    it('keeps no answer for an unknown run, which may yet be created', async () => {
      const { db, queries } = countingDb({});
      const lookup = new RunExperimentLookup(db);
      assert.equal(await lookup.ownerOf('r2'), null);
      assert.equal(await lookup.ownerOf('r2'), null);
      assert.equal(queries.length, 2);
    });

    it('reads the runs it does not know in one query, and knows a run remembered at its creation', async () => {
      const { db, queries } = countingDb({ a: '1', b: '2', c: '3' });
      const lookup = new RunExperimentLookup(db);
      lookup.remember('new', '9');
      assert.equal(await lookup.ownerOf('new'), '9');
      assert.equal(queries.length, 0);
      await lookup.ownerOf('a');
      assert.deepEqual(await lookup.ownersOf(['a', 'b', 'c', 'x', 'b']), ['1', '2', '3', null, '2']);
      assert.deepEqual(queries, [[['a']], [['b', 'c', 'x']]]);
    });

    it('forgets its oldest runs beyond its bound', async () => {
      const { db, queries } = countingDb({ first: '1' });
      const lookup = new RunExperimentLookup(db);
      await lookup.ownerOf('first');
      for (let i = 0; i < OWNER_CACHE_SIZE; i++) lookup.remember(`r${i}`, '2');
      await lookup.ownerOf('first');
      assert.equal(queries.length, 2);
    });
  });
});
