/**
 * The API keys list holds its shape where people read it: at 1280 px every action button sits
 * inside the table's border, each row's cells share the row's top and bottom (row lines meet) and
 * "Last used" takes at most two lines; at 390 px nothing runs past the screen's right edge.
 * Measured from the DOM over a list with every cell filled (see seedKeysScreen); screenshots go to
 * test-artifacts/screenshots/ for people to look at.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  type BrowserServer,
  browserSkipReason,
  launchBrowser,
  openPage,
  screenshot,
  signInThroughPage,
  startServer,
} from '../helpers/browser.js';
import { seedKeysScreen } from '../helpers/console.js';

const skip = browserSkipReason();
if (skip) console.log(`# skipping browser tests: ${skip}`);

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

interface Measures {
  /** the panel the table sits in: as wide as the page's content */
  panel: Box;
  table: Box;
  buttons: { label: string; box: Box }[];
  rows: { id: string; row: Box; cells: { label: string; box: Box }[] }[];
  /** per row: how many lines of text the "Last used" cell shows */
  lastUsedLines: number[];
  scrollWidth: number;
}

/** Boxes of the keys table, its rows, cells and buttons, as the browser laid them out. */
function measure(page: Page): Promise<Measures> {
  return page.evaluate(() => {
    const box = (el: Element) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    };
    /** Distinct line boxes of an element's text: the tops of its text's rects, grouped. */
    const lines = (el: Element) => {
      const tops: number[] = [];
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if ((node.textContent ?? '').trim() === '') continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const rect of Array.from(range.getClientRects())) if (rect.width > 0) tops.push(rect.top);
      }
      tops.sort((a, b) => a - b);
      return tops.filter((top, i) => i === 0 || top - tops[i - 1] > 4).length;
    };
    const table = document.querySelector('#keys-panel table');
    if (!table) throw new Error('no keys table');
    const rows = Array.from(table.querySelectorAll('tbody tr'));
    const panel = document.querySelector('#keys-panel');
    if (!panel) throw new Error('no keys panel');
    return {
      panel: box(panel),
      table: box(table),
      buttons: Array.from(table.querySelectorAll('button')).map((b) => ({
        label: `${b.closest('tr')?.id}: ${b.textContent?.trim()}`,
        box: box(b),
      })),
      rows: rows.map((row) => ({
        id: row.id,
        row: box(row),
        cells: Array.from(row.children).map((cell) => ({
          label: cell.getAttribute('data-label') ?? 'actions',
          box: box(cell),
        })),
      })),
      lastUsedLines: rows.map((row) => {
        const cell = row.querySelector('[data-label="Last used"]');
        return cell ? lines(cell) : 0;
      }),
      scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
    };
  });
}

const inside = (inner: Box, outer: Box) =>
  inner.left >= outer.left - 0.5 &&
  inner.right <= outer.right + 0.5 &&
  inner.top >= outer.top - 0.5 &&
  inner.bottom <= outer.bottom + 0.5;

describe('Settings > API Keys: the list holds its layout', { skip }, () => {
  let server: BrowserServer;
  let browser: Browser;
  let keysUrl: string;

  before(async () => {
    server = await startServer();
    await seedKeysScreen(server.t);
    keysUrl = `/console/${server.t.account.id}/settings/api-keys`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function keysPage(width: number) {
    const opened = await openPage(browser, { baseURL: server.baseURL, width });
    // tsx keeps function names by wrapping them in __name(), which the page does not have.
    await opened.page.addInitScript('globalThis.__name = (fn) => fn');
    await opened.page.goto(keysUrl);
    await signInThroughPage(opened.page);
    await opened.page.locator('#keys-panel tbody tr').nth(3).waitFor();
    return opened;
  }

  test('at 1280 px: buttons inside the table, row lines meet, "Last used" on two lines at most', async () => {
    const { page, problems, context } = await keysPage(1280);
    await screenshot(page, 'layout-api-keys-1280');
    const m = await measure(page);
    assert.equal(m.rows.length, 4, 'one row per seeded key');
    assert.ok(m.buttons.length >= 17, `every row's buttons are measured (${m.buttons.length})`);
    // Every misplacement at once, so a failure shows the whole picture.
    const wrong: string[] = [];
    if (!inside(m.table, m.panel))
      wrong.push(`table ${JSON.stringify(m.table)} overflows its panel ${JSON.stringify(m.panel)}`);
    for (const { label, box } of m.buttons) {
      if (!inside(box, m.table)) wrong.push(`${label} lies outside the table: ${JSON.stringify(box)}`);
    }
    for (const { id, row, cells } of m.rows) {
      if (cells.length !== 7) wrong.push(`${id} has ${cells.length} cells`);
      for (const cell of cells) {
        if (Math.abs(cell.box.top - row.top) > 1 || Math.abs(cell.box.bottom - row.bottom) > 1) {
          wrong.push(`${id} ${cell.label} does not span its row: ${JSON.stringify({ cell: cell.box, row })}`);
        }
      }
    }
    m.lastUsedLines.forEach((lines, i) => {
      if (lines < 1 || lines > 2) wrong.push(`"Last used" of ${m.rows[i].id} takes ${lines} lines`);
    });
    if (m.scrollWidth > 1280) wrong.push(`the page scrolls sideways (${m.scrollWidth} px wide)`);
    assert.deepEqual(wrong, []);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('at 390 px: nothing runs past the right edge of the screen', async () => {
    const { page, problems, context } = await keysPage(390);
    await screenshot(page, 'layout-api-keys-390');
    const m = await measure(page);
    const wrong: string[] = [];
    if (m.scrollWidth > 390) wrong.push(`the page scrolls sideways (${m.scrollWidth} px wide)`);
    // Every button can be reached without scrolling sideways.
    for (const { label, box } of m.buttons) {
      if (box.left < 0 || box.right > 390) wrong.push(`${label} is off screen: ${JSON.stringify(box)}`);
    }
    assert.deepEqual(wrong, []);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
