import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { InvalidInputError } from '../kernel/errors.js';
import type { GoalInput } from './goals.js';

let t: TestApp;
let acc: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
});
after(() => t.close());

describe('put', () => {
  test('creates the goal of spec 3.3 with the server fields', async () => {
    const { goal, created } = await t.services.goals.put(acc, 'g-example', {
      code: 'g-example',
      name: 'Signed up',
      value: 1,
    });
    assert.equal(created, true);
    assert.deepEqual(
      { ...goal, createdAt: 0, updatedAt: 0 },
      { code: 'g-example', name: 'Signed up', value: 1, version: 1, createdAt: 0, updatedAt: 0 },
    );
    assert.deepEqual(await t.services.goals.get(acc, 'g-example'), goal);
  });

  test('name defaults to the code and value to 1; any finite value is kept', async () => {
    const { goal } = await t.services.goals.put(acc, 'g-defaults', {});
    assert.equal(goal.name, 'g-defaults');
    assert.equal(goal.value, 1);
    assert.equal((await t.services.goals.put(acc, 'g-refund', { value: -12.5 })).goal.value, -12.5);
    assert.equal((await t.services.goals.get(acc, 'g-refund')).value, -12.5, 'stored as a double');
  });

  test('replaces the goal: version + 1, createdAt kept; the same goal again changes nothing', async () => {
    const first = (await t.services.goals.put(acc, 'g-replace', { value: 1 })).goal;
    const { goal, created } = await t.services.goals.put(acc, 'g-replace', { name: 'Bought', value: 30 });
    assert.equal(created, false);
    assert.equal(goal.version, 2);
    assert.equal(goal.createdAt, first.createdAt);
    const version = await t.services.deployments.configurationVersion(acc);
    const withServerFields = { ...goal, createdAt: 'whatever' };
    const again = await t.services.goals.put(acc, 'g-replace', withServerFields as unknown as GoalInput);
    assert.deepEqual(again, { goal, created: false });
    assert.equal(await t.services.deployments.configurationVersion(acc), version);
  });
});

describe('put refuses, naming the field', () => {
  const refusals: [string, string, unknown, string?][] = [
    ['a code without g-', 'code', {}, 'signed-up'],
    ['a code with a slash', 'code', {}, 'g-a/b'],
    ['a body code other than the URL', 'code', { code: 'g-other' }],
    ['a value that is not a number', 'value', { value: '1' }],
    ['an infinite value', 'value', { value: Number.POSITIVE_INFINITY }],
    ['an empty name', 'name', { name: '' }],
  ];
  for (const [what, field, input, url = 'g-refused'] of refusals) {
    test(what, async () => {
      const error = await t.services.goals.put(acc, url, input as GoalInput).then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof InvalidInputError, String(error));
      assert.equal(error.field, field, error.message);
    });
  }
});

describe('remove', () => {
  test('deletes the goal and answers what it was', async () => {
    await t.services.goals.put(acc, 'g-doomed', { value: 2 });
    const removed = await t.services.goals.remove(acc, 'g-doomed');
    assert.equal(removed.value, 2);
    await assert.rejects(t.services.goals.get(acc, 'g-doomed'), { code: 'goal_not_found' });
    await assert.rejects(t.services.goals.remove(acc, 'g-doomed'), { code: 'goal_not_found' });
  });

  test('refuses while an agent lists the goal, naming the agents; agents tracking every goal do not hold it', async () => {
    await t.services.goals.put(acc, 'g-held', {});
    await t.services.agents.put(acc, 'a-holder', { variations: [{ code: 'A' }], goals: ['g-held'] });
    await t.services.agents.put(acc, 'a-everything', { variations: [{ code: 'A' }] });
    await assert.rejects(t.services.goals.remove(acc, 'g-held'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'goal_in_use');
      assert.match(e.message, /a-holder/);
      assert.doesNotMatch(e.message, /a-everything/);
      return true;
    });
    await t.services.agents.put(acc, 'a-holder', { variations: [{ code: 'A' }], goals: [] });
    assert.equal((await t.services.goals.remove(acc, 'g-held')).code, 'g-held');
  });
});

test('list answers the goals of the account by code, none of another account', async () => {
  const other = await t.services.accounts.create('Other');
  await t.services.goals.put(other.id, 'g-elsewhere', {});
  const codes = (await t.services.goals.list(acc)).map((g) => g.code);
  assert.deepEqual(codes, [...codes].sort());
  assert.ok(codes.includes('g-example'));
  assert.ok(!codes.includes('g-elsewhere'));
  await assert.rejects(t.services.goals.get(acc, 'g-elsewhere'), { code: 'goal_not_found' });
});
