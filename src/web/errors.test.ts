/**
 * The one error table: the same failure gets the same status from the JSON API and from the
 * console, whatever renders it (JSON there, a page or an htmx fragment here).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type SignedIn, type TestApp } from '../../test/helpers/app.js';
import { getPage, postForm } from '../../test/helpers/console.js';
import type { AgentService } from '../agents/agents.js';

let t: TestApp;
let acc: string;
let viewer: SignedIn;
let realList: AgentService['list'];
before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  viewer = await t.person('view-reports');
  realList = t.services.agents.list;
});
after(() => t.close());

/** Makes listing agents fail with `error` on both faces for the length of `run`. */
async function failingList<T>(error: Error, run: () => Promise<T>): Promise<T> {
  t.services.agents.list = () => Promise.reject(error);
  try {
    return await run();
  } finally {
    t.services.agents.list = realList;
  }
}

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

/** Both faces' answer to listing agents, as a signed-in person would ask each. */
async function listBoth() {
  const api = await t.call({ url: `/admin/${acc}/agents`, as: { session: t.admin } });
  const page = await getPage(t, `/console/${acc}/agents`, { as: t.admin });
  const fragment = await getPage(t, `/console/${acc}/agents`, { as: t.admin, htmx: true });
  return { api, page, fragment };
}

describe('the API and the console answer each failure with the same status', () => {
  test('the store unreachable: 503 with Retry-After on both', async () => {
    const { api, page, fragment } = await failingList(
      withCode('the database system is starting up', '57P03'),
      listBoth,
    );
    for (const res of [api, page, fragment]) {
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.headers['retry-after'], '1');
    }
    assert.equal(api.json().code, 'store_unavailable');
    assert.match(page.body, /^<!doctype html>/);
    assert.match(page.body, /The store is not available; retry shortly/);
  });

  test('a collision with a concurrent change: 409 on both', async () => {
    const { api, page, fragment } = await failingList(
      withCode('insert or update violates foreign key constraint', '23503'),
      listBoth,
    );
    for (const res of [api, page, fragment]) assert.equal(res.statusCode, 409, res.body);
    assert.equal(api.json().code, 'concurrent_change');
    assert.match(fragment.body, /collided with another made at the same moment/);
  });

  test('anything unexpected: 500 on both, saying nothing of it', async () => {
    const { api, page } = await failingList(new Error('secret internals'), listBoth);
    for (const res of [api, page]) {
      assert.equal(res.statusCode, 500);
      assert.doesNotMatch(res.body, /secret internals/);
    }
  });

  test('a request the schema refuses: 400 naming the field on both', async () => {
    const long = 'k'.repeat(80);
    const api = await t.call({ url: `/admin/${acc}/api-keys/${long}`, as: { session: t.admin } });
    const page = await getPage(t, `/console/${acc}/settings/api-keys/${long}/edit`, { as: t.admin });
    assert.equal(api.statusCode, 400, api.body);
    assert.equal(api.json().field, 'params.id');
    assert.equal(page.statusCode, 400, page.body);
    assert.match(page.body, /params\.id/);
  });

  test('something that does not exist: 404 on both', async () => {
    const api = await t.call({ url: `/admin/${acc}/agents/a-missing`, as: { session: t.admin } });
    const page = await getPage(t, `/console/${acc}/agents/a-missing`, { as: t.admin });
    assert.equal(api.statusCode, 404);
    assert.equal(page.statusCode, 404);
  });

  test('a refusal: no credential is 401, a role without the permission 403, on both', async () => {
    const api = await t.call({ url: `/admin/${acc}/agents` });
    const fragment = await getPage(t, `/console/${acc}/agents`, { htmx: true });
    assert.equal(api.statusCode, 401);
    assert.equal(fragment.statusCode, 401);

    const change = { code: 'a-refused', name: 'Refused', status: 'running', variations: [{ code: 'A' }] };
    const apiChange = await t.call({
      method: 'PUT',
      url: `/admin/${acc}/agents/a-refused`,
      as: { session: viewer },
      body: change,
    });
    const consoleChange = await postForm(
      t,
      `/console/${acc}/agents`,
      { code: 'a-refused', name: 'Refused' },
      {
        as: viewer,
      },
    );
    assert.equal(apiChange.statusCode, 403, apiChange.body);
    assert.equal(apiChange.json().code, 'insufficient_role');
    assert.equal(consoleChange.statusCode, 403, consoleChange.body);
  });
});
