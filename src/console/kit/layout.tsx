/// <reference types="@kitajs/html/htmx.d.ts" />
/**
 * The console's page frame: header with navigation and account switcher, flash region, modal
 * slot, and the Settings tabs. Server-rendered; htmx swaps fragments; console.js only opens
 * dialogs, copies secrets and closes menus.
 */
import type { Children } from '@kitajs/html';
import type { Role } from '../../access/permissions.js';
import { ROLE_LABELS } from '../../access/permissions.js';
import type { AccountContext, Viewer } from './context.js';
import { CONSOLE } from './html.js';

/**
 * htmx settings: no inline styles (the CSP forbids them: no indicator style sheet, and no copying
 * of `style` attributes between swapped elements), no eval, no page snapshots in storage.
 */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  attributesToSettle: ['class', 'width', 'height'],
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  selfRequestsOnly: true,
});

export function Document(props: {
  title: string;
  csrfToken?: string;
  children?: Children;
  /** load uPlot, for pages with charts */
  charts?: boolean;
}): JSX.Element {
  const headers = props.csrfToken ? JSON.stringify({ 'x-csrf-token': props.csrfToken }) : undefined;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title safe>{`${props.title} · Tessera`}</title>
        <link rel="icon" href="data:," />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <link rel="stylesheet" href={`${CONSOLE}/assets/console.css`} />
        {props.charts ? <link rel="stylesheet" href={`${CONSOLE}/assets/uPlot.min.css`} /> : ''}
        <script src={`${CONSOLE}/assets/htmx.min.js`} defer></script>
        {props.charts ? <script src={`${CONSOLE}/assets/uPlot.iife.min.js`} defer></script> : ''}
        <script src={`${CONSOLE}/assets/console.js`} defer></script>
      </head>
      <body hx-headers={headers}>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        {props.children}
      </body>
    </html>
  );
}

interface NavItem {
  label: string;
  href: string;
  current: boolean;
}

/** Sections a role may open in an account, in menu order. */
export function navItems(ctx: AccountContext): NavItem[] {
  const base = `${CONSOLE}/${ctx.account.id}`;
  const items: NavItem[] = [
    { label: 'Agents', href: `${base}/agents`, current: ctx.section.startsWith('/agents') },
    { label: 'Goals', href: `${base}/goals`, current: ctx.section.startsWith('/goals') },
    { label: 'Traits', href: `${base}/traits`, current: ctx.section.startsWith('/traits') },
    { label: 'QA', href: `${base}/qa`, current: ctx.section.startsWith('/qa') },
    { label: 'Reports', href: `${base}/reports`, current: ctx.section.startsWith('/reports') },
    {
      label: 'Settings',
      href: `${base}/settings`,
      current: ctx.section.startsWith('/settings'),
    },
  ];
  return items;
}

/** Where the account switcher leads: the same section in the other account, if the role there may open it. */
function switchHref(ctx: AccountContext, accountId: string, role: Role): string {
  const top = ctx.section
    .split('/')
    .slice(0, ctx.section.startsWith('/settings') ? 3 : 2)
    .join('/');
  const managed = top === '/settings/api-keys' || top === '/settings/users' || top === '/settings/audit';
  const section = top === '' || (managed && role !== 'account-admin') ? '/agents' : top;
  return `${CONSOLE}/${accountId}${section}`;
}

function AccountSwitcher(props: { ctx: AccountContext }): JSX.Element {
  const { ctx } = props;
  const others = ctx.accounts.filter((a) => a.id !== ctx.account.id);
  return (
    <details class="menu account-switcher" data-menu>
      <summary>
        <span class="menu-label">Account</span> <span safe>{ctx.account.name}</span>
      </summary>
      <div class="menu-panel">
        <p class="menu-note">
          <span safe>{ctx.account.name}</span> <code safe>{ctx.account.id}</code>
          <br />
          Your role: <span safe>{ROLE_LABELS[ctx.account.role]}</span>
        </p>
        {others.length === 0 ? (
          <p class="menu-note">You belong to no other account.</p>
        ) : (
          <ul class="menu-list" aria-label="Switch account">
            {others.map((a) => (
              <li>
                <a href={switchHref(ctx, a.id, a.role)}>
                  <span safe>{a.name}</span> <span class="muted" safe>{`(${ROLE_LABELS[a.role]})`}</span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </div>
    </details>
  );
}

function UserMenu(props: { viewer: Viewer }): JSX.Element {
  return (
    <details class="menu user-menu" data-menu>
      <summary safe>{props.viewer.user.email}</summary>
      <div class="menu-panel">
        <button type="button" class="button" hx-post={`${CONSOLE}/logout`}>
          Sign out
        </button>
      </div>
    </details>
  );
}

/** A page inside an account: header, navigation, flash region, the page, and the modal slot. */
export function AccountPage(props: {
  ctx: AccountContext;
  title: string;
  children?: Children;
  /** a dialog to open at once (a dialog's own URL opened directly) */
  modal?: JSX.Element;
  charts?: boolean;
  /** a page built around a wide table: it may use the whole window */
  wide?: boolean;
}): JSX.Element {
  const { ctx } = props;
  // Rendered by the console's own components, not text from a request.
  const safeModal = props.modal;
  return (
    <Document title={props.title} csrfToken={ctx.user.csrfToken} charts={props.charts}>
      <header class="topbar">
        <a class="brand" href={CONSOLE}>
          Tessera
        </a>
        <nav aria-label="Main" class="mainnav">
          <ul>
            {navItems(ctx).map((item) => (
              <li>
                <a href={item.href} aria-current={item.current ? 'page' : undefined} safe>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="topbar-end">
          <AccountSwitcher ctx={ctx} />
          <UserMenu viewer={ctx} />
        </div>
      </header>
      <div id="flash" class="flash-region" aria-live="polite"></div>
      <main id="main" class={props.wide ? 'wide' : undefined} tabindex="-1">
        {props.children}
      </main>
      <div id="modal">{safeModal}</div>
    </Document>
  );
}

/** A page outside any account (sign-in, setup, errors before an account is known). */
export function PlainPage(props: { title: string; children?: Children; viewer?: Viewer }): JSX.Element {
  return (
    <Document title={props.title} csrfToken={props.viewer?.user.csrfToken}>
      <header class="topbar">
        <a class="brand" href={CONSOLE}>
          Tessera
        </a>
        <div class="topbar-end">{props.viewer ? <UserMenu viewer={props.viewer} /> : ''}</div>
      </header>
      <main id="main" class="narrow" tabindex="-1">
        {props.children}
      </main>
    </Document>
  );
}

export function SettingsTabs(props: { ctx: AccountContext }): JSX.Element {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings`;
  const tabs = [
    { label: 'API Keys / Info', path: '/settings/api-keys', show: ctx.can('manage') },
    { label: 'Deploy Targets', path: '/settings/deploy-targets', show: true },
    { label: 'Users', path: '/settings/users', show: ctx.can('manage') },
    { label: 'Audit log', path: '/settings/audit', show: ctx.can('manage') },
  ];
  return (
    <nav aria-label="Settings" class="tabs">
      <ul>
        {tabs
          .filter((t) => t.show)
          .map((t) => (
            <li>
              <a
                href={`${base}${t.path.slice('/settings'.length)}`}
                aria-current={ctx.section.startsWith(t.path) ? 'page' : undefined}
                safe
              >
                {t.label}
              </a>
            </li>
          ))}
      </ul>
    </nav>
  );
}
