import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, createTestApp, type TestApp } from '../../test/helpers/app.js';
import { getPage, postForm } from '../../test/helpers/console.js';

let t: TestApp;
let acc: string;
let base: string;
before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  base = `/console/${acc}`;
});
after(() => t.close());

/** An htmx error answer: a short message fragment (console.js shows it in the form or the page). */
function assertMessage(res: { statusCode: number; body: string }, status: number, message: RegExp) {
  assert.equal(res.statusCode, status, res.body);
  assert.match(res.body, /^<p class="flash error">/);
  assert.match(res.body, message);
}

describe('pages', () => {
  test("the server's own address only redirects: other methods are 404, a query goes nowhere", async () => {
    const post = await t.app.inject({ method: 'POST', url: '/', payload: {} });
    assert.equal(post.statusCode, 404);
    const queried = await t.app.inject({ method: 'GET', url: '/?next=https://elsewhere.example/' });
    assert.equal(queried.statusCode, 302);
    assert.equal(queried.headers.location, '/console', 'the query is not carried anywhere');
  });

  test('an unknown console page is an HTML 404, not JSON', async () => {
    const res = await getPage(t, '/console/nowhere/at/all', { as: t.admin });
    assert.equal(res.statusCode, 404);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(res.body, /Not found/);
  });

  test('an address with a broken % escape is an HTML 400 with the pages’ headers, not JSON', async () => {
    for (const htmx of [false, true]) {
      const res = await getPage(t, `${base}/agents/%E0%A4`, { as: t.admin, htmx });
      assert.equal(res.statusCode, 400);
      assert.match(res.headers['content-type'] as string, /text\/html/);
      assert.match(res.body, /This address cannot be read/);
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['cache-control'], 'no-store');
    }
  });

  test('a parameter that is too long is a 400 page naming it', async () => {
    const res = await getPage(t, `${base}/settings/api-keys/${'k'.repeat(80)}/edit`, { as: t.admin });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /params\.id/);
  });

  test('a key that does not exist: 404 as a page, and as a fragment for htmx', async () => {
    const page = await getPage(t, `${base}/settings/api-keys/key-nope/edit`, { as: t.admin });
    assert.equal(page.statusCode, 404);
    assert.match(page.body, /^<!doctype html>/);
    const fragment = await getPage(t, `${base}/settings/api-keys/key-nope/edit`, { as: t.admin, htmx: true });
    assertMessage(fragment, 404, /No API key key-nope/);
  });

  test('an agent or report that does not exist is a 404', async () => {
    assert.equal((await getPage(t, `${base}/agents/a-missing`, { as: t.admin })).statusCode, 404);
    assert.equal((await getPage(t, `${base}/reports/a-missing`, { as: t.admin })).statusCode, 404);
    assert.equal((await getPage(t, `${base}/goals/g-missing`, { as: t.admin })).statusCode, 404);
  });

  test('a report with a day that is not a day is a 400', async () => {
    await t.services.agents.put(acc, 'a-dated', { variations: [{ code: 'A' }] });
    const res = await getPage(t, `${base}/reports/a-dated?from=yesterday`, { as: t.admin });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /querystring\.from/);
  });
});

describe('sign-in and setup', () => {
  test('a wrong password shows the form again with a message', async () => {
    const res = await postForm(
      t,
      '/console/login',
      { email: ADMIN_EMAIL, password: 'wrong-password' },
      { htmx: false },
    );
    assert.equal(res.statusCode, 401);
    assert.match(res.body, /Email or password is wrong/);
    assert.match(res.body, /value="admin@example.com"/);
    assert.equal(res.cookies.length, 0);
  });

  test('a setup link that is not valid says so', async () => {
    const res = await postForm(
      t,
      '/console/setup',
      { token: 'made-up', email: 'x@example.com', password: 'long-enough-pw', confirm: 'long-enough-pw' },
      { htmx: false },
    );
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /This setup link is not valid/);
    assert.equal(res.cookies.length, 0);
  });
});

describe('key forms', () => {
  test('a deploy target of another kind or account is refused with the field’s message', async () => {
    const key = await t.key('rest');
    const js = (await t.services.deployTargets.list(acc)).find((dt) => dt.kind === 'js');
    const res = await postForm(
      t,
      `${base}/settings/api-keys/${key.id}/edit`,
      { name: 'x', deployTargets: js?.id ?? '' },
      { as: t.admin },
    );
    assertMessage(res, 422, /JavaScript \/ On-Device deploy target/);
    const unknown = await postForm(
      t,
      `${base}/settings/api-keys/${key.id}/edit`,
      { name: 'x', deployTargets: ['dt-nothere'] },
      { as: t.admin },
    );
    assertMessage(unknown, 422, /No deploy target dt-nothere/);
    assert.deepEqual((await t.services.keys.getKey(acc, key.id)).deployTargets, []);
  });

  test('an empty name or an unknown kind is a 400', async () => {
    const key = await t.key('rest');
    assertMessage(
      await postForm(t, `${base}/settings/api-keys/${key.id}/edit`, { name: '  ' }, { as: t.admin }),
      400,
      /must not be empty/,
    );
    assertMessage(
      await postForm(t, `${base}/settings/api-keys`, { kind: 'root' }, { as: t.admin }),
      400,
      /body\.kind/,
    );
  });

  test('deleting a key twice: the second time it is not found', async () => {
    const key = await t.key('rest');
    assert.equal(
      (await postForm(t, `${base}/settings/api-keys/${key.id}/delete`, {}, { as: t.admin })).statusCode,
      200,
    );
    assertMessage(
      await postForm(t, `${base}/settings/api-keys/${key.id}/delete`, {}, { as: t.admin }),
      404,
      /No API key/,
    );
  });
});

describe('targets, users, agents, goals', () => {
  test('a deploy target in use by a key cannot be deleted, and the default one offers no Delete', async () => {
    const target = await t.services.deployTargets.create(acc, {
      name: 'Used',
      kind: 'rest',
      deployMode: 'automatic',
    });
    await t.key('rest', { deployTargets: [target.id] });
    assertMessage(
      await postForm(t, `${base}/settings/deploy-targets/${target.id}/delete`, {}, { as: t.admin }),
      409,
      /associated with API keys/,
    );
    const page = await getPage(t, `${base}/settings/deploy-targets`, { as: t.admin });
    const main = (await t.services.deployTargets.list(acc)).find((dt) => dt.isDefault);
    assert.doesNotMatch(page.body, new RegExp(`id="delete-target-${main?.id}"`));
  });

  test('the last Account Admin cannot step down or be removed', async () => {
    const me = (await t.services.users.listMembers(acc)).find((m) => m.email === ADMIN_EMAIL);
    assertMessage(
      await postForm(t, `${base}/settings/users/${me?.id}/role`, { role: 'view-reports' }, { as: t.admin }),
      409,
      /at least one Account Admin/,
    );
    assertMessage(
      await postForm(t, `${base}/settings/users/${me?.id}/remove`, {}, { as: t.admin }),
      409,
      /at least one Account Admin/,
    );
  });

  test('a new user needs an email address and, when new, a password', async () => {
    assertMessage(
      await postForm(
        t,
        `${base}/settings/users`,
        { email: 'not-an-email', role: 'view-reports' },
        { as: t.admin },
      ),
      400,
      /Email: not an email address/,
    );
    assertMessage(
      await postForm(
        t,
        `${base}/settings/users`,
        { email: 'nopw@example.com', role: 'view-reports' },
        { as: t.admin },
      ),
      422,
      /password is required/,
    );
  });

  test('an agent form with a half-filled row, a bad code or a taken code says what to fix', async () => {
    const form = { status: 'running', 'v0.code': 'A', 'v0.weight': '1', 'v1.code': '', 'v1.name': 'Orphan' };
    assertMessage(
      await postForm(t, `${base}/agents`, { ...form, code: 'a-half' }, { as: t.admin }),
      422,
      /Variation row 2 needs a code/,
    );
    assertMessage(
      await postForm(
        t,
        `${base}/agents`,
        { code: 'banner', status: 'running', 'v0.code': 'A' },
        { as: t.admin },
      ),
      422,
      /an agent code is a- followed by/,
    );
    await t.services.agents.put(acc, 'a-taken', { variations: [{ code: 'A' }] });
    assertMessage(
      await postForm(
        t,
        `${base}/agents`,
        { code: 'a-taken', status: 'running', 'v0.code': 'A' },
        { as: t.admin },
      ),
      422,
      /already an agent a-taken/,
    );
    assertMessage(
      await postForm(
        t,
        `${base}/agents/a-taken`,
        { status: 'running', 'v0.code': 'A', 'c0.then': 'Z' },
        { as: t.admin },
      ),
      422,
      /not a variation of a-taken/,
    );
    assertMessage(
      await postForm(t, `${base}/agents/a-unknown`, { status: 'running', 'v0.code': 'A' }, { as: t.admin }),
      404,
      /No agent a-unknown/,
    );
  });

  test('a goal with a bad value or a taken code; a goal in use cannot be deleted', async () => {
    assertMessage(
      await postForm(t, `${base}/goals`, { code: 'g-val', value: 'lots' }, { as: t.admin }),
      422,
      /must be a number/,
    );
    await t.services.goals.put(acc, 'g-used', {});
    assertMessage(
      await postForm(t, `${base}/goals`, { code: 'g-used' }, { as: t.admin }),
      422,
      /already a goal g-used/,
    );
    await t.services.agents.put(acc, 'a-tracker', { variations: [{ code: 'A' }], goals: ['g-used'] });
    assertMessage(await postForm(t, `${base}/goals/g-used/delete`, {}, { as: t.admin }), 409, /a-tracker/);
  });
});
