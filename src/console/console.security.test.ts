import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestApp, type TestApp } from '../../test/helpers/app.js';
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

const keyCount = async () => (await t.services.keys.listKeys(acc)).length;

describe('cross-site requests', () => {
  test('a change without the session’s CSRF token is refused and changes nothing', async () => {
    const before = await keyCount();
    const res = await postForm(
      t,
      `${base}/settings/api-keys`,
      { kind: 'rest' },
      { as: t.admin, csrf: false },
    );
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /x-csrf-token/);
    const wrong = await postForm(
      t,
      `${base}/settings/api-keys`,
      { kind: 'rest' },
      { as: { ...t.admin, csrfToken: 'guessed' } },
    );
    assert.equal(wrong.statusCode, 403);
    assert.equal(await keyCount(), before);
  });

  test('a plain form post from another site is refused, even with a cookie and a leaked token', async () => {
    const before = await keyCount();
    const attempts: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      // A browser that does not say where the request comes from: the Origin header does.
      { 'sec-fetch-site': '', origin: 'https://evil.example' },
    ];
    for (const headers of attempts) {
      const res = await postForm(
        t,
        `${base}/settings/api-keys`,
        { kind: 'rest' },
        { as: t.admin, headers, htmx: false },
      );
      assert.equal(res.statusCode, 403, JSON.stringify(headers));
      assert.match(res.body, /from the Tessera console itself/);
    }
    assert.equal(await keyCount(), before);
  });

  test('another site cannot sign someone in', async () => {
    const res = await postForm(
      t,
      '/console/login',
      { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      { htmx: false, headers: { 'sec-fetch-site': 'cross-site' } },
    );
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('sign-in only returns to console pages (no open redirect)', async () => {
    for (const next of [
      '//evil.example/x',
      'https://evil.example',
      '/console/../admin',
      '/console/../../evil',
      '/console/%2e%2e/evil',
      '/\\evil.example',
    ]) {
      const res = await postForm(
        t,
        '/console/login',
        { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, next },
        { htmx: false },
      );
      assert.equal(res.statusCode, 303);
      const location = res.headers.location as string;
      // Judged as the browser will follow it: dot segments resolved.
      const followed = new URL(location, 'https://tessera.example');
      assert.equal(followed.origin, 'https://tessera.example', `${next} → ${location}`);
      assert.ok(
        followed.pathname === '/console' || followed.pathname.startsWith('/console/'),
        `${next} → ${location}`,
      );
    }
  });
});

describe('who may see and do what', () => {
  test("the server's own address answers everyone the same redirect and nothing else", async () => {
    const rest = await t.key('rest');
    const deleted = await t.key('admin-read');
    await t.services.keys.deleteKey(acc, deleted.id, ADMIN_EMAIL);
    const elsewhere = await t.services.accounts.create('Elsewhere');
    const other = await t.key('admin-author', { accountId: elsewhere.id });
    const me = t.admin;
    const asked = [
      {},
      { authorization: `Bearer ${rest.secret}` },
      { authorization: `Bearer ${deleted.secret}` },
      { authorization: `Bearer ${other.secret}` },
      { cookie: me.cookie },
    ];
    for (const headers of asked) {
      const res = await t.app.inject({ method: 'GET', url: '/', headers });
      assert.equal(res.statusCode, 302, JSON.stringify(headers));
      assert.equal(res.headers.location, '/console');
      assert.equal(res.body, '', 'nothing about the account or the credential is shown');
    }
  });

  test('nobody signed in: pages redirect to sign-in; changes are refused; htmx is sent to sign-in', async () => {
    const page = await getPage(t, `${base}/settings/api-keys`);
    assert.equal(page.statusCode, 303);
    assert.equal(
      page.headers.location,
      `/console/login?next=${encodeURIComponent(`${base}/settings/api-keys`)}`,
    );
    const post = await postForm(t, `${base}/settings/api-keys`, { kind: 'rest' }, { htmx: false });
    assert.equal(post.statusCode, 401);
    assert.match(post.headers['content-type'] as string, /text\/html/);
    const htmx = await postForm(
      t,
      `${base}/settings/api-keys`,
      { kind: 'rest' },
      {
        headers: { 'hx-current-url': `http://localhost${base}/settings/api-keys` },
      },
    );
    assert.equal(htmx.statusCode, 401);
    assert.equal(
      htmx.headers['hx-redirect'],
      `/console/login?next=${encodeURIComponent(`${base}/settings/api-keys`)}`,
    );
  });

  test('a View Reports user sees no key management, no change buttons, and is refused them', async () => {
    const viewer = await t.person('view-reports');
    const targets = await getPage(t, `${base}/settings/deploy-targets`, { as: viewer });
    assert.equal(targets.statusCode, 200);
    assert.doesNotMatch(
      targets.body,
      /API Keys \/ Info|settings\/users|New Deploy Target|Deploy now|<button[^>]*hx-get/,
    );
    const keys = await getPage(t, `${base}/settings/api-keys`, { as: viewer });
    assert.equal(keys.statusCode, 403);
    assert.match(keys.body, /Not authorized/);
    const before = await keyCount();
    const create = await postForm(t, `${base}/settings/api-keys`, { kind: 'admin-author' }, { as: viewer });
    assert.equal(create.statusCode, 403);
    assert.equal(await keyCount(), before);

    await t.services.agents.put(acc, 'a-readonly', { variations: [{ code: 'A' }] });
    const agent = await getPage(t, `${base}/agents/a-readonly`, { as: viewer });
    assert.equal(agent.statusCode, 200);
    assert.match(agent.body, /<fieldset disabled class="plain">/);
    assert.doesNotMatch(agent.body, /Save agent/);
    const agents = await getPage(t, `${base}/agents`, { as: viewer });
    assert.doesNotMatch(agents.body, /New Agent/);
    const save = await postForm(
      t,
      `${base}/agents/a-readonly`,
      { status: 'stopped', 'v0.code': 'A' },
      { as: viewer },
    );
    assert.equal(save.statusCode, 403);
    assert.equal((await t.services.agents.get(acc, 'a-readonly')).status, 'running');
  });

  test('an Agent Author changes agents but cannot deploy or manage', async () => {
    const author = await t.person('agent-author');
    const agents = await getPage(t, `${base}/agents`, { as: author });
    assert.match(agents.body, /New Agent/);
    const page = await getPage(t, `${base}/settings/deploy-targets`, { as: author });
    assert.doesNotMatch(page.body, /Deploy now/);
    const [target] = await t.services.deployTargets.list(acc);
    const deploy = await postForm(
      t,
      `${base}/settings/deploy-targets/${target.id}/deploy`,
      {},
      { as: author },
    );
    assert.equal(deploy.statusCode, 403);
    const admin = await t.person('agent-admin');
    assert.match((await getPage(t, `${base}/settings/deploy-targets`, { as: admin })).body, /Deploy now/);
  });

  test('another account’s console is refused', async () => {
    const other = await t.services.accounts.create('Not mine');
    const res = await getPage(t, `/console/${other.id}/agents`, { as: t.admin });
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /not a member of this account/);
  });

  test('API keys cannot drive the console, even one that may read', async () => {
    const key = await t.key('admin-author');
    for (const url of [`${base}/agents`, `${base}/settings/deploy-targets`, '/console']) {
      const res = await t.call({ url, as: { key: key.secret } });
      assert.equal(res.statusCode, 403, url);
      assert.match(res.headers['content-type'] as string, /text\/html/);
    }
  });

  test('removing a person ends their console access on the next request', async () => {
    const person = await t.person('agent-admin');
    assert.equal((await getPage(t, `${base}/agents`, { as: person })).statusCode, 200);
    const member = (await t.services.users.listMembers(acc)).find((m) => m.email === person.email);
    await postForm(t, `${base}/settings/users/${member?.id}/remove`, {}, { as: t.admin });
    // It was their only account: signed out, the console sends them to sign in.
    const after = await getPage(t, `${base}/agents`, { as: person });
    assert.equal(after.statusCode, 303);
    assert.match(String(after.headers.location), /^\/console\/login/);
  });
});

describe('what pages show', () => {
  test('names are escaped: a key or agent name cannot inject markup', async () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    await t.key('rest', { name: evil });
    await t.services.agents.put(acc, 'a-xss', { name: evil, variations: [{ code: 'A', meta: { m: evil } }] });
    for (const url of [
      `${base}/settings/api-keys`,
      `${base}/agents`,
      `${base}/agents/a-xss`,
      `${base}/reports`,
    ]) {
      const page = await getPage(t, url, { as: t.admin });
      assert.equal(page.statusCode, 200, url);
      // Inside a quoted attribute a "<" is harmless text; a quote cannot get in (it is escaped).
      const outsideAttributes = page.body.replace(/="[^"]*"/g, '=""');
      assert.ok(!outsideAttributes.includes('<script>alert'), url);
      assert.ok(!outsideAttributes.includes('<img src=x'), url);
      assert.ok(page.body.includes('&lt;script>alert(1)&lt;/script>'), url);
    }
  });

  test('pages forbid framing, inline scripts and caching', async () => {
    const page = await getPage(t, `${base}/settings/api-keys`, { as: t.admin });
    const csp = page.headers['content-security-policy'] as string;
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    const refused = await getPage(t, `${base}/settings/api-keys`);
    assert.equal(refused.headers['x-frame-options'], 'DENY');
  });

  test('assets come from the server itself, and only those it knows', async () => {
    for (const name of ['htmx.min.js', 'console.js', 'console.css', 'uPlot.iife.min.js', 'uPlot.min.css']) {
      const res = await t.call({ url: `/console/assets/${name}` });
      assert.equal(res.statusCode, 200, name);
      assert.ok(res.headers.etag);
    }
    assert.equal((await t.call({ url: '/console/assets/..%2F..%2Fpackage.json' })).statusCode, 404);
    const page = await getPage(t, `${base}/agents`, { as: t.admin });
    assert.doesNotMatch(page.body, /(src|href)="(https?:)?\/\//);
  });
});
