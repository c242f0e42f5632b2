/**
 * Browser tests drive Debian's chromium (never a downloaded browser) through playwright-core,
 * against a real server listening on a free port. Missing chromium skips them with a message,
 * unless TESSERA_REQUIRE_BROWSER=1 (CI), which makes it a failure.
 *
 * One browser per test file; each person gets their own context (cookie jar). Every page records
 * its console errors and page errors so a test can assert there were none.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestApp, type TestApp } from './app.js';

export const chromiumPath = process.env.TESSERA_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can; throws when they must run. */
export function browserSkipReason(): string | undefined {
  if (existsSync(chromiumPath)) return undefined;
  const reason = `chromium not found at ${chromiumPath} (install Debian's chromium or set TESSERA_CHROMIUM_PATH)`;
  if (process.env.TESSERA_REQUIRE_BROWSER === '1') {
    throw new Error(`Browser tests are required (TESSERA_REQUIRE_BROWSER=1) but ${reason}`);
  }
  return reason;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Headless chromium; playwright gives it a fresh temporary --user-data-dir of its own. `extraArgs`
 * adds switches, e.g. `--host-resolver-rules=MAP *.tessera.test 127.0.0.1` for pages on several
 * host names.
 */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 60_000,
  });
}

export interface BrowserPage {
  page: Page;
  context: BrowserContext;
  /** console errors and uncaught page errors seen so far */
  problems: string[];
}

/** A page in a new context (its own cookies), recording what went wrong in the browser. */
export async function openPage(
  browser: Browser,
  options: { width?: number; height?: number; baseURL: string },
): Promise<BrowserPage> {
  const context = await browser.newContext({
    baseURL: options.baseURL,
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
  });
  const origin = new URL(options.baseURL).origin;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { page, context, problems };
}

export interface BrowserServer {
  t: TestApp;
  baseURL: string;
  close(): Promise<void>;
}

/** A test app listening on 127.0.0.1 at a free port, for a browser to reach. */
export async function startServer(): Promise<BrowserServer> {
  const t = await createTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return { t, baseURL: `http://127.0.0.1:${address.port}`, close: () => t.close() };
}

export async function signInThroughPage(
  page: Page,
  email = ADMIN_EMAIL,
  password = ADMIN_PASSWORD,
): Promise<void> {
  // Already on the sign-in page (sent there by a redirect, with the page to return to): stay.
  if (!new URL(page.url(), 'http://x').pathname.startsWith('/console/login'))
    await page.goto('/console/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/console/login'));
}

/** Where screenshots of console screens go, for people to look at (git-ignored). */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // caret: 'initial' leaves the page as it is (hiding the caret sets a style on the focused field).
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, caret: 'initial' });
}

export interface PageServer {
  /** `http://localhost:PORT/`: another origin than the API's (another host name and port) */
  url: string;
  close(): Promise<void>;
}

/** Serves one HTML page at `/` (what `html()` answers when asked), as a customer's site would. */
export async function servePage(html: () => string): Promise<PageServer> {
  const pages = createServer((request, response) => {
    if (request.url === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    if (request.url !== '/') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html());
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${(pages.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => pages.close(() => resolve())),
  };
}
