import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestApp, type TestApp } from '../../test/helpers/app.js';
import { fieldValue, getPage, postForm } from '../../test/helpers/console.js';
import { createTestStore } from '../../test/helpers/store.js';
import { buildServer } from '../app/server.js';
import { createServices } from '../app/services.js';

let t: TestApp;
let acc: string;
let base: string;
before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  base = `/console/${acc}`;
});
after(() => t.close());

describe('signing in and out', () => {
  test('the sign-in page, then a session cookie and the page asked for', async () => {
    const page = await getPage(t, `/console/login?next=${encodeURIComponent(`${base}/settings/users`)}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.body, /<form method="post" action="\/console\/login"/);
    const res = await postForm(
      t,
      '/console/login',
      { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, next: `${base}/settings/users` },
      { htmx: false },
    );
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, `${base}/settings/users`);
    const cookie = res.cookies.find((c) => c.name === 'tessera_session');
    assert.ok(cookie?.httpOnly);
    assert.equal(cookie?.sameSite, 'Strict');
  });

  test("the server's own address opens the console", async () => {
    const root = await t.app.inject({ method: 'GET', url: '/' });
    assert.equal(root.statusCode, 302);
    assert.equal(root.headers.location, '/console');
    const me = await t.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
    const home = await getPage(t, root.headers.location as string, { as: me });
    assert.equal(home.headers.location, `${base}/agents`, 'and the console home opens the account');
  });

  test('the console home opens the first account; sign-out ends the session', async () => {
    const me = await t.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
    const home = await getPage(t, '/console', { as: me });
    assert.equal(home.statusCode, 303);
    assert.equal(home.headers.location, `${base}/agents`);
    const out = await postForm(t, '/console/logout', {}, { as: me });
    assert.equal(out.statusCode, 204);
    assert.equal(out.headers['hx-redirect'], '/console/login');
    const after = await getPage(t, `${base}/agents`, { as: me });
    assert.equal(after.statusCode, 303);
    assert.match(after.headers.location as string, /^\/console\/login\?next=/);
  });

  test('the account switcher lists the other accounts of the person', async () => {
    const other = await t.services.accounts.create('Second shop');
    const person = await t.person('agent-author');
    await t.services.users.addMember(other.id, { email: person.email, role: 'view-reports' });
    const page = await getPage(t, `${base}/agents`, { as: person });
    assert.match(page.body, new RegExp(`href="/console/${other.id}/agents"`));
    assert.match(page.body, /Second shop/);
  });
});

describe('one-time setup', () => {
  test('the printed link creates the first Account Admin and signs them in', async () => {
    const { store, dispose } = await createTestStore();
    const services = createServices(store);
    const app = await buildServer(services, { logLevel: 'silent' });
    try {
      const first = await services.bootstrap.run({});
      assert.equal(first.kind, 'setup-link');
      if (first.kind !== 'setup-link') return;
      const form = await app.inject({ url: `/console/setup?token=${first.token}` });
      assert.equal(form.statusCode, 200);
      assert.match(form.body, /Create the Account Admin/);
      const post = (body: string) =>
        app.inject({
          method: 'POST',
          url: '/console/setup',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: body,
        });
      const mismatch = await post(
        `token=${first.token}&email=first%40example.com&password=correct-horse-battery&confirm=other-horse-battery`,
      );
      assert.equal(mismatch.statusCode, 422);
      assert.match(mismatch.body, /The two passwords differ/);
      const done = await post(
        `token=${first.token}&email=first%40example.com&password=correct-horse-battery&confirm=correct-horse-battery`,
      );
      assert.equal(done.statusCode, 303, done.body);
      assert.equal(done.headers.location, `/console/${first.account.id}/settings/api-keys`);
      assert.ok(done.cookies.some((c) => c.name === 'tessera_session'));
      const again = await app.inject({ url: `/console/setup?token=${first.token}` });
      assert.match(again.body, /Setup is complete/);
    } finally {
      await app.close();
      await dispose();
    }
  });
});

describe('Settings > API Keys / Info', () => {
  test('the list shows name, kind marker, masked key, deploy targets ("all" when none), created when and by whom', async () => {
    const [rest] = await t.services.deployTargets.list(acc);
    const scoped = await t.key('rest', { name: 'Scoped', deployTargets: [rest.id] });
    await t.key('admin-read', { name: 'Reader' });
    await t.key('admin-author', { name: 'Author' });
    await t.key('js', { name: 'Web tag' });
    const page = await getPage(t, `${base}/settings/api-keys`, { as: t.admin });
    assert.equal(page.statusCode, 200);
    for (const marker of [
      'REST API',
      'JS / On-Device',
      'Admin: Reports and List Agents (read-only)',
      'Admin: Agent Author / Admin',
    ]) {
      assert.ok(page.body.includes(`>${marker}</span>`), marker);
    }
    const row = page.body.slice(page.body.indexOf(`id="key-${scoped.id}"`));
    assert.match(row.slice(0, 2000), new RegExp(`${rest.name}</span> <code class="muted">${rest.id}`));
    assert.match(page.body, /<span class="all-targets">all<\/span>/);
    assert.match(page.body, /by admin@example.com/);
    assert.ok(!page.body.includes(scoped.secret), 'a secret key is never listed');
    assert.match(page.body, /tess_rest_\w{4}…\w{4}/);
    assert.match(page.body, /Create API Key/);
    assert.match(page.body, /New Admin Key/);
  });

  test('Create API Key → REST API shows the secret once, and it works', async () => {
    const res = await postForm(t, `${base}/settings/api-keys`, { kind: 'rest' }, { as: t.admin });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const secret = fieldValue(res.body, 'new-key-secret') ?? '';
    assert.match(secret, /^tess_rest_/);
    assert.match(res.body, /It will not be shown again/);
    assert.match(res.body, /<div id="modal" hx-swap-oob="innerHTML"><dialog id="new-key"/);
    const self = await t.call({ url: '/v3/keys/self', as: { key: secret } });
    assert.equal(self.statusCode, 200);
    assert.equal(self.json().data.name, 'REST API key');
    const list = await getPage(t, `${base}/settings/api-keys`, { as: t.admin });
    assert.ok(!list.body.includes(secret));
  });

  test('JavaScript and On-Device: the ready-to-paste script tag for each JS target, and again later', async () => {
    const web = (await t.services.deployTargets.list(acc)).find((dt) => dt.kind === 'js');
    assert.ok(web);
    const res = await postForm(t, `${base}/settings/api-keys`, { kind: 'js' }, { as: t.admin });
    const token = fieldValue(res.body, 'new-key-secret') ?? '';
    assert.match(token, /^tess_js_/);
    const expected = `<script src="http://localhost:80/${acc}/v3/agent-api/js/${web.id}?apikey=${token}"></script>`;
    assert.equal(fieldValue(res.body, 'script-tag-0'), expected);
    assert.doesNotMatch(res.body, /will not be shown again/);
    const key = (await t.services.keys.listKeys(acc)).find((k) => k.publicToken === token);
    assert.ok(key);
    const again = await getPage(t, `${base}/settings/api-keys/${key.id}/script-tags`, {
      as: t.admin,
      htmx: true,
    });
    assert.equal(again.statusCode, 200);
    assert.equal(fieldValue(again.body, 'script-tag-0'), expected);
  });

  test('New Admin Key: each access level, named or not', async () => {
    const dialog = await getPage(t, `${base}/settings/api-keys/new-admin`, { as: t.admin, htmx: true });
    assert.match(dialog.body, /Reports and List Agents \(read-only\)/);
    assert.match(dialog.body, /Agent Author \/ Admin/);
    assert.match(dialog.body, />Create</);
    const read = await postForm(
      t,
      `${base}/settings/api-keys`,
      { kind: 'admin-read', name: '' },
      { as: t.admin },
    );
    assert.match(fieldValue(read.body, 'new-key-secret') ?? '', /^tess_ro_/);
    assert.match(read.body, /Admin key \(read-only\)/);
    const author = await postForm(
      t,
      `${base}/settings/api-keys`,
      { kind: 'admin-author', name: 'Deploy bot' },
      { as: t.admin },
    );
    const secret = fieldValue(author.body, 'new-key-secret') ?? '';
    assert.match(secret, /^tess_rw_/);
    const self = await t.call({ url: '/v3/keys/self', as: { key: secret } });
    assert.equal(self.json().data.kind, 'admin-author');
    assert.equal(self.json().data.name, 'Deploy bot');
  });

  test('Edit associates deploy targets, and no target again means all', async () => {
    const [rest] = await t.services.deployTargets.list(acc);
    const key = await t.key('rest', { name: 'To edit' });
    const form = await getPage(t, `${base}/settings/api-keys/${key.id}/edit`, { as: t.admin, htmx: true });
    assert.match(form.body, new RegExp(`name="deployTargets" value="${rest.id}"`));
    assert.doesNotMatch(form.body, /value="dt-[^"]+" checked/);
    const saved = await postForm(
      t,
      `${base}/settings/api-keys/${key.id}/edit`,
      { name: 'Edited', deployTargets: rest.id },
      { as: t.admin },
    );
    assert.equal(saved.statusCode, 200, saved.body);
    assert.match(saved.body, /Saved API key &#34;Edited&#34;/);
    assert.deepEqual((await t.services.keys.getKey(acc, key.id)).deployTargets, [rest.id]);
    await postForm(t, `${base}/settings/api-keys/${key.id}/edit`, { name: 'Edited' }, { as: t.admin });
    assert.deepEqual((await t.services.keys.getKey(acc, key.id)).deployTargets, []);
  });

  test('Delete asks first, then the key is refused at once', async () => {
    const key = await t.key('rest', { name: 'To delete' });
    const confirm = await getPage(t, `${base}/settings/api-keys/${key.id}/delete`, {
      as: t.admin,
      htmx: true,
    });
    assert.match(confirm.body, /stops working at once/);
    assert.match(confirm.body, /no way to re-create/);
    const deleted = await postForm(t, `${base}/settings/api-keys/${key.id}/delete`, {}, { as: t.admin });
    assert.equal(deleted.statusCode, 200);
    assert.doesNotMatch(deleted.body, new RegExp(key.id));
    const self = await t.call({ url: '/v3/keys/self', as: { key: key.secret } });
    assert.equal(self.statusCode, 403);
    assert.equal(self.json().code, 'key_deleted');
  });

  test('a dialog opened directly is the whole page with the dialog in it', async () => {
    const page = await getPage(t, `${base}/settings/api-keys/new-admin`, { as: t.admin });
    assert.match(page.body, /^<!doctype html>/);
    assert.match(page.body, /<div id="modal"><dialog id="new-admin"/);
  });
});

describe('Settings > Deploy Targets and Users', () => {
  test('create, rename and switch the deploy mode, Deploy now, delete', async () => {
    const created = await postForm(
      t,
      `${base}/settings/deploy-targets`,
      { name: 'Staging', kind: 'rest', deployMode: 'manual' },
      { as: t.admin },
    );
    assert.equal(created.statusCode, 200, created.body);
    const staging = (await t.services.deployTargets.list(acc)).find((dt) => dt.name === 'Staging');
    assert.ok(staging);
    assert.equal(staging.deployMode, 'manual');
    assert.match(created.body, /Nothing deployed yet/);
    const edited = await postForm(
      t,
      `${base}/settings/deploy-targets/${staging.id}/edit`,
      { name: 'Stage', deployMode: 'manual' },
      { as: t.admin },
    );
    assert.equal(edited.statusCode, 200);
    await t.services.goals.put(acc, 'g-deployed', { name: 'Deployed' });
    const deployed = await postForm(
      t,
      `${base}/settings/deploy-targets/${staging.id}/deploy`,
      {},
      { as: t.admin },
    );
    assert.equal(deployed.statusCode, 200, deployed.body);
    assert.match(deployed.body, /Deployed version \d+ to &#34;Stage&#34;/);
    const version = await t.services.deployments.configurationVersion(acc);
    assert.equal((await t.services.deployTargets.get(acc, staging.id)).deployedVersion, version);
    const removed = await postForm(
      t,
      `${base}/settings/deploy-targets/${staging.id}/delete`,
      {},
      { as: t.admin },
    );
    assert.equal(removed.statusCode, 200);
    assert.ok(!(await t.services.deployTargets.list(acc)).some((dt) => dt.id === staging.id));
  });

  test('add a user with a role, change the role, remove them', async () => {
    const added = await postForm(
      t,
      `${base}/settings/users`,
      { email: 'new.person@example.com', password: ADMIN_PASSWORD, role: 'agent-author' },
      { as: t.admin },
    );
    assert.equal(added.statusCode, 200, added.body);
    const member = (await t.services.users.listMembers(acc)).find(
      (m) => m.email === 'new.person@example.com',
    );
    assert.equal(member?.role, 'agent-author');
    if (!member) return;
    await postForm(t, `${base}/settings/users/${member.id}/role`, { role: 'agent-admin' }, { as: t.admin });
    assert.equal(
      (await t.services.users.listMembers(acc)).find((m) => m.id === member.id)?.role,
      'agent-admin',
    );
    const confirm = await getPage(t, `${base}/settings/users/${member.id}/remove`, {
      as: t.admin,
      htmx: true,
    });
    assert.match(confirm.body, /lose access/);
    await postForm(t, `${base}/settings/users/${member.id}/remove`, {}, { as: t.admin });
    assert.ok(!(await t.services.users.listMembers(acc)).some((m) => m.id === member.id));
  });
});

describe('Agents, Goals, Reports', () => {
  test('a goal and an agent made in the console answer on the runtime API and show in the report', async () => {
    const goal = await postForm(
      t,
      `${base}/goals`,
      { code: 'g-bought', name: 'Bought', value: '5' },
      { as: t.admin },
    );
    assert.equal(goal.statusCode, 200, goal.body);
    assert.deepEqual(
      { ...(await t.services.goals.get(acc, 'g-bought')), version: 0, createdAt: 0, updatedAt: 0 },
      { code: 'g-bought', name: 'Bought', value: 5, version: 0, createdAt: 0, updatedAt: 0 },
    );

    const created = await postForm(
      t,
      `${base}/agents`,
      {
        code: 'a-banner',
        name: 'Banner',
        status: 'running',
        pausedAt: '',
        mk0: 'color',
        mk1: '',
        'v0.code': 'A',
        'v0.name': 'Control',
        'v0.weight': '1',
        'v1.code': 'B',
        'v1.name': '',
        'v1.weight': '1',
        'v2.code': '',
        'v2.name': '',
        'v2.weight': '',
        'c0.then': 'B',
        'c0.w0.kind': 'input',
        'c0.w0.name': 'plan',
        'c0.w0.value': 'pro',
        goalsMode: 'some',
        goals: 'g-bought',
      },
      { as: t.admin },
    );
    assert.equal(created.statusCode, 204, created.body);
    assert.equal(created.headers['hx-redirect'], `${base}/agents/a-banner`);
    const agent = await t.services.agents.get(acc, 'a-banner');
    // biome-ignore lint/suspicious/noThenProperty: the spec names the field; a string is never a thenable
    const condition = { when: [{ input: 'plan', is: 'pro' }], then: 'B' };
    assert.deepEqual(agent.conditions, [condition]);
    assert.deepEqual(agent.goals, ['g-bought']);
    assert.deepEqual(agent.metaKeys, ['color']);

    // The editor shows it back, with the metadata column to fill in.
    const page = await getPage(t, `${base}/agents/a-banner`, { as: t.admin });
    assert.match(page.body, /name="v0\.meta\.0"/);
    assert.match(page.body, /Save agent/);
    const saved = await postForm(
      t,
      `${base}/agents/a-banner`,
      {
        name: 'Banner',
        status: 'running',
        pausedAt: 'A',
        mk0: 'color',
        'v0.code': 'A',
        'v0.weight': '1',
        'v0.meta.0': 'blue',
        'v1.code': 'B',
        'v1.weight': '0',
        'v1.meta.0': 'red',
        goalsMode: 'all',
      },
      { as: t.admin },
    );
    assert.equal(saved.statusCode, 200, saved.body);
    assert.match(saved.body, /Saved a-banner/);
    const edited = await t.services.agents.get(acc, 'a-banner');
    assert.deepEqual(
      edited.variations.map((v) => [v.code, v.weight, v.meta]),
      [
        ['A', 1, { color: 'blue' }],
        ['B', 0, { color: 'red' }],
      ],
    );
    assert.equal(edited.goals, null);
    assert.equal(edited.pausedAt, 'A');

    const key = await t.key('rest');
    for (const session of ['s1', 's2', 's3']) {
      const res = await t.call({
        method: 'POST',
        url: `/${acc}/v3/agent-api?session=${session}`,
        as: { key: key.secret },
        body: { commands: [{ a: 'a-banner' }, { g: 'g-bought' }] },
      });
      assert.equal(res.statusCode, 200, res.body);
    }
    await t.services.events.flush();
    const report = await getPage(t, `${base}/reports/a-banner`, { as: t.admin });
    assert.equal(report.statusCode, 200, report.body);
    assert.match(report.body, /Rate \(95% interval\)/);
    assert.match(report.body, /Lift vs first/);
    assert.match(report.body, /uPlot\.iife\.min\.js/);
    assert.match(
      report.body,
      /<script type="application\/json" id="chart-sessions-data">\{"yLabel":"sessions"/,
    );
    assert.match(report.body, /3 sessions counted/);
  });

  test('the agents list, the goals list and the reports index', async () => {
    for (const path of ['agents', 'goals', 'reports', 'agents/new']) {
      const res = await getPage(t, `${base}/${path}`, { as: t.admin });
      assert.equal(res.statusCode, 200, `${path}: ${res.body.slice(0, 200)}`);
    }
  });
});
