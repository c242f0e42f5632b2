/**
 * The key lifecycle in the console: "used 3 min ago" and the expiry and grace flags in the list,
 * the Usage dialog, Roll with a grace period and End grace now, expiry, rate limit and a JS key's
 * allowed origins in Edit, the name typed to delete a key used lately, and Settings > Audit log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { fieldValue, getPage, postForm } from '../../../test/helpers/console.js';

const MINUTE = 60_000;
let clock = Date.UTC(2031, 5, 1, 8, 0);
let t: TestApp;
let acc: string;
let base: string;

before(async () => {
  t = await createTestApp({ services: { now: () => clock, keyUsageFlushMs: 0 } });
  acc = t.account.id;
  base = `/console/${acc}/settings/api-keys`;
});
after(() => t.close());

const adminRead = async (secret: string) =>
  (await t.call({ url: `/admin/${acc}/agents`, as: { key: secret } })).statusCode;
/** The table row of a key in a page or fragment. */
function row(html: string, keyId: string): string {
  const start = html.indexOf(`id="key-${keyId}"`);
  assert.ok(start >= 0, `the list has a row for ${keyId}`);
  return html.slice(start, html.indexOf('</tr>', start));
}

describe('the key list says when each key was used, and flags expiry and grace periods', () => {
  test('"used 3 min ago", "never used", "expires in 3 days", "expired"', async () => {
    const used = await t.key('admin-read', { name: 'Busy' });
    const unused = await t.key('rest', { name: 'Idle' });
    assert.equal(await adminRead(used.secret), 200);
    await t.services.keys.updateKey(acc, unused.id, { expiresAt: clock + 3 * 24 * 60 * MINUTE });
    const doomed = await t.key('rest', { name: 'Past' });
    await t.services.keys.updateKey(acc, doomed.id, { expiresAt: clock + MINUTE });
    clock += 3 * MINUTE;
    const page = await getPage(t, base, { as: t.admin });
    assert.equal(page.statusCode, 200);
    assert.match(row(page.body, used.id), /used 3 min ago/);
    assert.match(row(page.body, used.id), /, 1 request in 24 h/);
    assert.equal(await adminRead(used.secret), 200);
    const again = await getPage(t, base, { as: t.admin });
    assert.match(row(again.body, used.id), /, 2 requests in 24 h/);
    assert.match(row(page.body, unused.id), /never used/);
    assert.match(row(page.body, unused.id), /class="tag warn"[^>]*>expires in 3 days/);
    assert.match(row(page.body, doomed.id), /class="tag danger">expired/);
  });

  test('Usage shows requests per deploy target and per secret, and refusals by reason', async () => {
    const [rest] = await t.services.deployTargets.list(acc);
    const key = await t.key('rest', { name: 'Checkout', deployTargets: [rest.id] });
    for (let i = 0; i < 3; i++) {
      await t.call({ method: 'POST', url: `/${acc}/v3/agent-api`, as: { key: key.secret }, body: [] });
    }
    await t.call({ url: `/admin/${acc}/agents`, as: { key: key.secret } });
    const dialog = await getPage(t, `${base}/${key.id}/usage`, { as: t.admin, htmx: true });
    assert.equal(dialog.statusCode, 200);
    assert.match(dialog.body, /<dialog id="key-usage"/);
    assert.match(dialog.body, new RegExp(`${rest.name} \\(${rest.id}\\)</th><td class="num"[^>]*>3</td>`));
    assert.match(dialog.body, /<code>wrong_key_kind<\/code><\/th><td class="num"[^>]*>1</);
    assert.match(dialog.body, />current</);
    assert.match(dialog.body, /127\.0\.0\.1/);
  });
});

describe('roll from the console', () => {
  test('Roll offers the grace periods, shows the new secret once, and End grace now stops the old one', async () => {
    const key = await t.key('admin-read', { name: 'Rolled in console' });
    const dialog = await getPage(t, `${base}/${key.id}/roll`, { as: t.admin, htmx: true });
    for (const seconds of ['0', '3600', '86400', '604800']) {
      assert.match(dialog.body, new RegExp(`name="graceSeconds" value="${seconds}"`));
    }
    const rolled = await postForm(t, `${base}/${key.id}/roll`, { graceSeconds: '3600' }, { as: t.admin });
    assert.equal(rolled.statusCode, 200, rolled.body);
    assert.equal(rolled.headers['cache-control'], 'no-store');
    const secret = fieldValue(rolled.body, 'new-key-secret') ?? '';
    assert.match(secret, /^tess_ro_/);
    assert.notEqual(secret, key.secret);
    assert.match(rolled.body, /The previous secret works until/);
    assert.match(row(rolled.body, key.id), /previous secret works until/);
    assert.equal(await adminRead(key.secret), 200, 'the old secret works during the grace period');
    assert.equal(await adminRead(secret), 200);

    const usage = await getPage(t, `${base}/${key.id}/usage`, { as: t.admin, htmx: true });
    assert.match(usage.body, /previous: works until/);
    assert.match(usage.body, /End grace period now/);
    const ended = await postForm(t, `${base}/${key.id}/roll/end`, {}, { as: t.admin });
    assert.equal(ended.statusCode, 200, ended.body);
    assert.match(ended.body, /no longer works/);
    assert.equal(await adminRead(key.secret), 403);
    assert.equal(await adminRead(secret), 200);
    assert.doesNotMatch(row(ended.body, key.id), /previous secret works until/);
    // nothing left to end
    const again = await postForm(t, `${base}/${key.id}/roll/end`, {}, { as: t.admin });
    assert.equal(again.statusCode, 409);
  });

  test('Roll with no grace says the previous secret has stopped working, as it has', async () => {
    const key = await t.key('admin-read', { name: 'Rolled now' });
    const rolled = await postForm(t, `${base}/${key.id}/roll`, { graceSeconds: '0' }, { as: t.admin });
    assert.equal(rolled.statusCode, 200, rolled.body);
    assert.match(rolled.body, /The previous secret no longer works/);
    assert.doesNotMatch(rolled.body, /works until/);
    assert.equal(await adminRead(key.secret), 403);
  });

  test('a grace period the console does not offer is refused', async () => {
    const key = await t.key('rest');
    const res = await postForm(t, `${base}/${key.id}/roll`, { graceSeconds: '5' }, { as: t.admin });
    assert.equal(res.statusCode, 400);
    assert.equal(await adminRead(key.secret), 403, 'a REST key: refused as before, not rolled');
    assert.equal((await t.services.keys.getKey(acc, key.id)).secrets.length, 1);
  });
});

describe('Edit sets the expiry and the rate limit', () => {
  test('a date (UTC) and requests per second; empty clears them', async () => {
    const key = await t.key('admin-read', { name: 'Limited' });
    const form = await getPage(t, `${base}/${key.id}/edit`, { as: t.admin, htmx: true });
    assert.match(form.body, /name="expiresAt" type="datetime-local"/);
    assert.match(form.body, /name="rateLimit" type="number"/);
    const saved = await postForm(
      t,
      `${base}/${key.id}/edit`,
      { name: 'Limited', expiresAt: '2031-07-01T12:30', rateLimit: '20' },
      { as: t.admin },
    );
    assert.equal(saved.statusCode, 200, saved.body);
    const edited = await t.services.keys.getKey(acc, key.id);
    assert.equal(edited.expiresAt, Date.UTC(2031, 6, 1, 12, 30));
    assert.deepEqual(edited.rateLimit, { perSecond: 20 });
    const again = await getPage(t, `${base}/${key.id}/edit`, { as: t.admin, htmx: true });
    assert.match(again.body, /value="2031-07-01T12:30"/);
    await postForm(
      t,
      `${base}/${key.id}/edit`,
      { name: 'Limited', expiresAt: '', rateLimit: '' },
      { as: t.admin },
    );
    const cleared = await t.services.keys.getKey(acc, key.id);
    assert.deepEqual([cleared.expiresAt, cleared.rateLimit], [null, null]);
    const past = await postForm(
      t,
      `${base}/${key.id}/edit`,
      { name: 'Limited', expiresAt: '2020-01-01T00:00' },
      { as: t.admin },
    );
    assert.equal(past.statusCode, 422);
    assert.match(past.body, /in the future/);
    // A moment that does not exist is named, not a 500 (nor saved as the next month's).
    for (const impossible of ['2031-13-01T00:00', '2030-01-01T10:00:60', '2030-02-31T10:00']) {
      const res = await postForm(
        t,
        `${base}/${key.id}/edit`,
        { name: 'Limited', expiresAt: impossible },
        { as: t.admin },
      );
      assert.equal(res.statusCode, 400, `${impossible}: ${res.body}`);
      assert.match(res.body, /Expires/);
    }
    assert.equal((await t.services.keys.getKey(acc, key.id)).expiresAt, null, 'nothing was saved');
  });

  test('saving a key without touching its expiry leaves it exactly as it was, even once past', async () => {
    const key = await t.key('rest', { name: 'Precise' });
    const expiresAt = clock + 10 * 24 * 60 * MINUTE + 45_500; // seconds and milliseconds the form does not show
    const shownAs = new Date(expiresAt).toISOString().slice(0, 16);
    await t.services.keys.updateKey(acc, key.id, { expiresAt });
    const form = await getPage(t, `${base}/${key.id}/edit`, { as: t.admin, htmx: true });
    assert.ok(form.body.includes(`value="${shownAs}"`), 'the form shows it to the minute');
    const renamed = await postForm(
      t,
      `${base}/${key.id}/edit`,
      { name: 'Precise, renamed', expiresAt: shownAs },
      { as: t.admin },
    );
    assert.equal(renamed.statusCode, 200, renamed.body);
    const after = await t.services.keys.getKey(acc, key.id);
    assert.equal(after.name, 'Precise, renamed');
    assert.equal(after.expiresAt, expiresAt, 'not rounded to the minute');

    // An expired key can still be renamed: its expiry, sent back unchanged, is not a new one.
    const expired = await t.key('rest', { name: 'Old' });
    const past = clock - MINUTE;
    await t.services.keys.updateKey(acc, expired.id, { expiresAt: clock + MINUTE });
    await t.services.store.db
      .updateTable('api_keys')
      .set({ expires_at: past })
      .where('id', '=', expired.id)
      .execute();
    const shown = new Date(past).toISOString().slice(0, 16);
    const res = await postForm(
      t,
      `${base}/${expired.id}/edit`,
      { name: 'Old, renamed', expiresAt: shown },
      { as: t.admin },
    );
    assert.equal(res.statusCode, 200, res.body);
    const stillExpired = await t.services.keys.getKey(acc, expired.id);
    assert.equal(stillExpired.name, 'Old, renamed');
    assert.equal(stillExpired.expiresAt, past, 'still expired: renaming did not bring it back');
  });
});

describe("Edit sets a JavaScript key's allowed origins", () => {
  test('one per line, normalised; a bad one is named; empty allows any origin again', async () => {
    const key = await t.key('js', { name: 'Storefront' });
    const form = await getPage(t, `${base}/${key.id}/edit`, { as: t.admin, htmx: true });
    assert.match(form.body, /<textarea id="edit-key-origins" name="allowedOrigins"/);
    const saved = await postForm(
      t,
      `${base}/${key.id}/edit`,
      { name: 'Storefront', allowedOrigins: 'https://Shop.example.com\r\n\r\n  http://localhost:3000  ' },
      { as: t.admin },
    );
    assert.equal(saved.statusCode, 200, saved.body);
    const edited = await t.services.keys.getKey(acc, key.id);
    assert.deepEqual(edited.allowedOrigins, ['https://shop.example.com', 'http://localhost:3000']);
    const again = await getPage(t, `${base}/${key.id}/edit`, { as: t.admin, htmx: true });
    assert.match(again.body, /https:\/\/shop\.example\.com\nhttp:\/\/localhost:3000<\/textarea>/);

    const bad = await postForm(
      t,
      `${base}/${key.id}/edit`,
      { name: 'Storefront', allowedOrigins: 'https://ok.example.com\nnot an origin' },
      { as: t.admin },
    );
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /&#34;not an origin&#34; is not an origin like https:\/\/www\.example\.com/);
    assert.deepEqual((await t.services.keys.getKey(acc, key.id)).allowedOrigins, edited.allowedOrigins);

    await postForm(t, `${base}/${key.id}/edit`, { name: 'Storefront', allowedOrigins: '' }, { as: t.admin });
    assert.deepEqual((await t.services.keys.getKey(acc, key.id)).allowedOrigins, []);
  });

  test('other kinds have no such field, and their edit leaves origins alone', async () => {
    const key = await t.key('rest', { name: 'Server side' });
    const form = await getPage(t, `${base}/${key.id}/edit`, { as: t.admin, htmx: true });
    assert.doesNotMatch(form.body, /allowedOrigins/);
    const saved = await postForm(t, `${base}/${key.id}/edit`, { name: 'Server side' }, { as: t.admin });
    assert.equal(saved.statusCode, 200, saved.body);
  });
});

describe('deleting a key used in the last 24 hours needs its name typed', () => {
  test('the dialog asks for the name; without it 409, a wrong one 422, the name deletes', async () => {
    const key = await t.key('admin-read', { name: 'Nightly report' });
    assert.equal(await adminRead(key.secret), 200);
    clock += 5 * MINUTE;
    const dialog = await getPage(t, `${base}/${key.id}/delete`, { as: t.admin, htmx: true });
    assert.match(dialog.body, /used in the last 24 hours/);
    assert.match(dialog.body, /Last used 5 min ago/);
    assert.match(dialog.body, /<input id="delete-key-confirm" name="confirm" type="text" required/);

    const without = await postForm(t, `${base}/${key.id}/delete`, {}, { as: t.admin });
    assert.equal(without.statusCode, 409);
    assert.match(without.body, /its name as confirmation/);
    const wrong = await postForm(t, `${base}/${key.id}/delete`, { confirm: 'Nightly' }, { as: t.admin });
    assert.equal(wrong.statusCode, 422);
    assert.match(wrong.body, /does not match/);
    assert.equal(await adminRead(key.secret), 200, 'still working');
    const deleted = await postForm(
      t,
      `${base}/${key.id}/delete`,
      { confirm: 'Nightly report' },
      { as: t.admin },
    );
    assert.equal(deleted.statusCode, 200, deleted.body);
    assert.match(deleted.body, /It no longer works/);
    assert.equal(await adminRead(key.secret), 403);
  });

  test('a key not used lately is deleted from the dialog without typing', async () => {
    const key = await t.key('admin-read', { name: 'Old' });
    assert.equal(await adminRead(key.secret), 200);
    clock += 25 * 60 * MINUTE;
    const dialog = await getPage(t, `${base}/${key.id}/delete`, { as: t.admin, htmx: true });
    assert.doesNotMatch(dialog.body, /name="confirm"/);
    assert.match(dialog.body, /Last used 25 h ago/);
    const deleted = await postForm(t, `${base}/${key.id}/delete`, {}, { as: t.admin });
    assert.equal(deleted.statusCode, 200);
  });
});

describe('Settings > Audit log', () => {
  test('lists changes with who and what, filters by person and target, links the export', async () => {
    const key = await t.key('rest', { name: 'Audited in console' });
    await postForm(t, `${base}/${key.id}/edit`, { name: 'Renamed in console' }, { as: t.admin });
    const page = await getPage(t, `/console/${acc}/settings/audit`, { as: t.admin });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /aria-current="page"[^>]*>Audit log</);
    assert.match(page.body, /<code>api-key\.update<\/code>/);
    assert.match(page.body, new RegExp(`<code>${key.id}</code>`));
    assert.match(page.body, /Renamed in console/);
    assert.match(page.body, new RegExp(`href="/admin/${acc}/audit.jsonl"`));

    const filtered = await getPage(
      t,
      `/console/${acc}/settings/audit?actor=${encodeURIComponent(ADMIN_EMAIL)}&target=${key.id}&type=&since=`,
      { as: t.admin },
    );
    assert.equal(filtered.statusCode, 200);
    const rows = filtered.body.match(/<tr><td data-label="When"/g) ?? [];
    assert.equal(rows.length, 2, 'the creation and the edit');
    assert.match(
      filtered.body,
      new RegExp(`href="/admin/${acc}/audit.jsonl\\?actor=[^"]*&(amp;)?target=${key.id}"`),
    );
    const nobody = await getPage(t, `/console/${acc}/settings/audit?actor=nobody%40example.com`, {
      as: t.admin,
    });
    assert.match(nobody.body, /No change matches/);
    // A day that does not exist is named, as the export would refuse it, not an empty page.
    const impossible = await getPage(t, `/console/${acc}/settings/audit?since=2024-99-99`, { as: t.admin });
    assert.equal(impossible.statusCode, 400);
    assert.match(impossible.body, /Since: a date like/);
  });

  test('a person who may not manage the account gets no tab and no page', async () => {
    const author = await t.person('agent-admin');
    const settings = await getPage(t, `/console/${acc}/settings/deploy-targets`, { as: author });
    assert.doesNotMatch(settings.body, />Audit log</);
    const page = await getPage(t, `/console/${acc}/settings/audit`, { as: author });
    assert.equal(page.statusCode, 403);
  });
});
