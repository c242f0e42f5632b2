/** Requests as the console's pages make them: form posts sent by htmx, with the session's CSRF token. */
import type { LightMyRequestResponse } from 'fastify';
import type { SignedIn, TestApp } from './app.js';

export type Form = Record<string, string | string[]>;

export function encodeForm(form: Form): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
  }
  return params.toString();
}

export interface ConsoleRequest {
  as?: SignedIn;
  /** send the session's CSRF token (default) */
  csrf?: boolean;
  /** as htmx sends it (default) or as a plain navigation */
  htmx?: boolean;
  /** extra headers; an empty value leaves a header out */
  headers?: Record<string, string>;
}

/** A form post from a console page (same origin, htmx, CSRF header). */
export function postForm(
  t: TestApp,
  url: string,
  form: Form,
  options: ConsoleRequest = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'sec-fetch-site': 'same-origin',
    ...(options.htmx === false ? {} : { 'hx-request': 'true' }),
    ...options.headers,
  };
  // An empty value leaves the header out (a browser that does not send it).
  for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
  return t.call({
    method: 'POST',
    url,
    body: encodeForm(form),
    headers,
    as: options.as ? { session: options.as, csrf: options.csrf !== false } : undefined,
  });
}

/** A page or fragment as the browser asks for it. */
export function getPage(
  t: TestApp,
  url: string,
  options: ConsoleRequest = {},
): Promise<LightMyRequestResponse> {
  return t.call({
    url,
    headers: { ...(options.htmx ? { 'hx-request': 'true' } : {}), ...options.headers },
    as: options.as ? { session: options.as } : undefined,
  });
}

/** The value of a read-only field (a new secret, a script tag) in a console answer. */
export function fieldValue(html: string, id: string): string | undefined {
  const input = new RegExp(`<input id="${id}"[^>]*value="([^"]*)"`).exec(html);
  if (input) return unescapeHtml(input[1]);
  const area = new RegExp(`<textarea id="${id}"[^>]*>([^<]*)</textarea>`).exec(html);
  return area ? unescapeHtml(area[1]) : undefined;
}

export function unescapeHtml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&#34;', '"')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}

/**
 * The API keys screen as an account that uses it looks: one key of each kind, long names, several
 * deploy targets, recent use, a rolled key in its grace period, an expiry soon and a rate limit.
 * Layout tests and screenshots need every cell filled, as a real list is.
 */
export async function seedKeysScreen(t: TestApp): Promise<void> {
  const acc = t.account.id;
  const { services } = t;
  const now = services.now();
  const day = 86_400_000;
  const staging = await services.deployTargets.create(acc, {
    name: 'Staging',
    kind: 'rest',
    deployMode: 'automatic',
  });
  await services.deployTargets.create(acc, { name: 'Storefront (EU)', kind: 'js', deployMode: 'manual' });
  const targets = await services.deployTargets.list(acc);
  const production = targets.find((dt) => dt.kind === 'rest' && dt.isDefault) ?? staging;
  const by = 'admin@example.com';
  const checkout = await services.keys.createKey(
    acc,
    {
      kind: 'rest',
      name: 'Checkout service (payments team)',
      deployTargets: [production.id, staging.id],
      expiresAt: now + 3 * day,
      rateLimit: { perSecond: 50 },
    },
    by,
  );
  const script = await services.keys.createKey(acc, { kind: 'js', name: 'Storefront script tag' }, by);
  await services.keys.rollKey(acc, script.key.id, 86_400, by);
  await services.keys.createKey(acc, { kind: 'admin-read', name: 'Reporting dashboard' }, by);
  const bot = await services.keys.createKey(acc, { kind: 'admin-author', name: 'CI deploy bot' }, by);
  services.keyUsage.used(checkout.key.id, 1, production.id, '203.0.113.7', 'curl/8.5.0', now - 180_000);
  services.keyUsage.used(bot.key.id, 1, null, '198.51.100.20', 'ci-runner/2.1', now - 7_200_000);
  await services.keyUsage.flush();
}
