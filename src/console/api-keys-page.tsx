/**
 * Settings > API Keys / Info, as the key documentation describes it click by click:
 *   - Create API Key (top right) → REST API or JavaScript and On-Device: the key is created at once
 *     and appears in the list with its marker;
 *   - New Admin Key → choose the access level → Create to confirm;
 *   - a new secret is shown once, with a copy button (JS keys: with the ready-to-paste script tags);
 *   - Edit chooses the associated deploy targets (none = all), the name, the expiry, the rate limit and,
 *     for a JS key, its allowed origins (none = any);
 *   - Delete asks for confirmation: the key stops working at once and can never be re-created; a key
 *     used in the last 24 hours needs its name typed;
 *   - the list says when each key was last used ("used 3 min ago"), flags keys expiring within 7 days
 *     and rolled keys whose previous secret still works; Usage shows the figures per deploy target,
 *     per secret and refused requests by reason;
 *   - Roll issues a new secret for the same key, the previous one working for a chosen grace period
 *     (now, 1 hour, 24 hours, 7 days); "End grace period now" stops the previous one at once.
 * Every change goes through services.keys; the authorizer allows Account Admins only (`manage`).
 */

import type { Children } from '@kitajs/html';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.js';
import { parseDateTime } from '../kernel/days.js';
import { type ApiKey, type KeyDetails, secretsInGrace, targetKindFor } from '../keys/api-key.js';
import { RECENT_USE_MS } from '../keys/key-service.js';
import type { KeyUsage, UsageWindows } from '../keys/key-usage.js';
import { KEY_KINDS, type KeyKind } from '../keys/token.js';
import type { DeployTarget } from '../targets/deploy-targets.js';
import { auditActor } from '../web/actor.js';
import { type AccountContext, accountContext } from './context.js';
import { asList, CONSOLE, formatTime, isHtmx, plural, sendHtml } from './html.js';
import { AccountPage, CancelButton, CloseModal, Dialog, Flash, FormError, SettingsTabs } from './layout.js';

/** Keys expiring this soon are flagged in the list. */
const EXPIRY_WARNING_MS = 7 * 24 * 60 * 60 * 1000;

/** The grace periods offered when rolling a key, in seconds. */
const GRACE_CHOICES: { seconds: number; label: string }[] = [
  { seconds: 0, label: 'Now: the current secret stops working at once' },
  { seconds: 3600, label: 'In 1 hour' },
  { seconds: 86_400, label: 'In 24 hours' },
  { seconds: 7 * 86_400, label: 'In 7 days' },
];

/** "3 min ago", "2 h ago", "5 days ago": how long since `at`. */
export function timeAgo(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** "in 3 days", "in 5 h": how long until `at`. */
function timeUntil(at: number, now: number): string {
  const minutes = Math.max(1, Math.round((at - now) / 60_000));
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} h`;
  return `in ${Math.round(hours / 24)} days`;
}

/** What the list knows of each key besides its record. */
interface KeyState {
  usage: Map<string, KeyUsage>;
  now: number;
}

const usedRecently = (usage: KeyUsage | undefined, now: number) =>
  usage?.lastUse != null && now - usage.lastUse.at < RECENT_USE_MS;

function targetLabel(id: string | null, targets: Map<string, DeployTarget>): string {
  if (id === null) return 'no deploy target (Admin API)';
  const target = targets.get(id);
  return target ? `${target.name} (${id})` : id;
}

/** Flags in the Name cell: expired or expiring soon, a previous secret still working, a rate limit. */
function KeyFlags(props: { apiKey: KeyDetails; now: number }): JSX.Element {
  const { apiKey: key, now } = props;
  const inGrace = secretsInGrace(key.secrets, now);
  const graceEnd = Math.max(...inGrace.map((s) => s.validUntil ?? 0));
  return (
    <>
      {key.expiresAt !== null && key.expiresAt <= now ? (
        <span class="tag danger" safe>{`expired ${formatTime(key.expiresAt)}`}</span>
      ) : key.expiresAt !== null && key.expiresAt - now <= EXPIRY_WARNING_MS ? (
        <span class="tag warn" title={formatTime(key.expiresAt)} safe>
          {`expires ${timeUntil(key.expiresAt, now)}`}
        </span>
      ) : (
        ''
      )}
      {inGrace.length > 0 ? (
        <span class="tag warn" title={formatTime(graceEnd)} safe>
          {`previous secret works until ${formatTime(graceEnd)}`}
        </span>
      ) : (
        ''
      )}
      {key.rateLimit ? <span class="tag" safe>{`≤ ${key.rateLimit.perSecond} requests/s`}</span> : ''}
    </>
  );
}

function LastUsed(props: { usage: KeyUsage | undefined; now: number; targets: Map<string, DeployTarget> }) {
  const lastUse = props.usage?.lastUse;
  if (!lastUse) return <span class="muted">never used</span>;
  const lastOn = `last on ${targetLabel(lastUse.deployTargetId, props.targets)}`;
  return (
    <>
      <span class="line">
        <span title={formatTime(lastUse.at)} safe>{`used ${timeAgo(lastUse.at, props.now)}`}</span>
        <span class="muted" safe>{`, ${props.usage?.requests.lastDay ?? 0} requests in 24 h`}</span>
      </span>
      <span class="line muted" title={lastOn} safe>
        {lastOn}
      </span>
    </>
  );
}

export const KIND_MARKERS: Record<KeyKind, { label: string; title: string }> = {
  rest: { label: 'REST API', title: 'Runtime key for the REST API' },
  js: { label: 'JS / On-Device', title: 'Runtime key for the script tag and on-device (native) use' },
  // The access levels in the words people know them by (spec section 2).
  'admin-read': {
    label: 'Admin: Reports and List Agents (read-only)',
    title: 'Admin API key: reads agents, goals, deploy targets and reports',
  },
  'admin-author': {
    label: 'Admin: Agent Author / Admin',
    title: 'Admin API key: reads, and changes and deploys agents and goals',
  },
};

const DEFAULT_NAMES: Record<KeyKind, string> = {
  rest: 'REST API key',
  js: 'JS / On-Device key',
  'admin-read': 'Admin key (read-only)',
  'admin-author': 'Admin key (author)',
};

const TARGET_KIND_LABELS = { rest: 'REST API', js: 'JavaScript / On-Device' } as const;

export function KindMarker(props: { kind: KeyKind }): JSX.Element {
  const marker = KIND_MARKERS[props.kind];
  return (
    <span class={`marker marker-${props.kind}`} title={marker.title} safe>
      {marker.label}
    </span>
  );
}

/** The script tag a page embeds to load a JS deploy target with a JS / On-Device key. */
export function scriptTag(origin: string, accountId: string, targetId: string, token: string): string {
  const src = `${origin}/${accountId}/v3/agent-api/js/${targetId}?apikey=${encodeURIComponent(token)}`;
  return `<script src="${src}"></script>`;
}

/** The targets a key works on: its associated ones, or every target of its kind when none. */
function allowedTargets(key: ApiKey, targets: DeployTarget[]): DeployTarget[] {
  const kind = targetKindFor(key.kind);
  if (kind === null) return [];
  const ofKind = targets.filter((t) => t.kind === kind);
  return key.deployTargets.length === 0 ? ofKind : ofKind.filter((t) => key.deployTargets.includes(t.id));
}

/** A value to copy: a read-only field (easy to select by hand too) and a Copy button. */
function CopyField(props: { id: string; label: string; value: string; multiline?: boolean }): JSX.Element {
  return (
    <div class="copy-field">
      <label for={props.id} safe>
        {props.label}
      </label>
      <div class="copy-row">
        {props.multiline ? (
          <textarea id={props.id} class="mono" readonly rows="3" spellcheck="false" safe>
            {props.value}
          </textarea>
        ) : (
          <input id={props.id} class="mono" type="text" readonly value={props.value} spellcheck="false" />
        )}
        <button type="button" class="button" data-copy={`#${props.id}`}>
          Copy
        </button>
      </div>
      <span class="copy-status" role="status" data-copy-status-for={props.id}></span>
    </div>
  );
}

function ScriptTags(props: { ctx: AccountContext; token: string; targets: DeployTarget[] }): JSX.Element {
  const { ctx, token, targets } = props;
  if (targets.length === 0) {
    return <p class="hint">There is no JavaScript / On-Device deploy target to load yet.</p>;
  }
  return (
    <>
      {targets.map((t, i) => (
        <CopyField
          id={`script-tag-${i}`}
          label={`Script tag for ${t.name} (${t.id})`}
          value={scriptTag(ctx.origin, ctx.account.id, t.id, token)}
          multiline
        />
      ))}
    </>
  );
}

function TargetNames(props: { apiKey: ApiKey; targets: Map<string, DeployTarget> }): JSX.Element {
  if (props.apiKey.deployTargets.length === 0) return <span class="all-targets">all</span>;
  return (
    <ul class="plain-list">
      {props.apiKey.deployTargets.map((id) => {
        const target = props.targets.get(id);
        return (
          <li>
            <span safe>{target?.name ?? id}</span>{' '}
            <code class="muted" safe>
              {id}
            </code>
          </li>
        );
      })}
    </ul>
  );
}

function KeysPanel(props: {
  ctx: AccountContext;
  keys: KeyDetails[];
  targets: DeployTarget[];
  state: KeyState;
  highlight?: string;
}): JSX.Element {
  const { ctx, keys, state } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings/api-keys`;
  const targets = new Map(props.targets.map((t) => [t.id, t]));
  return (
    <div id="keys-panel">
      {keys.length === 0 ? (
        <p class="empty">
          No API keys yet. Use <strong>Create API Key</strong> for the REST API or the script tag, or{' '}
          <strong>New Admin Key</strong> for the Admin API.
        </p>
      ) : (
        <table class="table keys-table">
          <caption class="visually-hidden">API keys of this account</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Key</th>
              <th scope="col">Deploy targets</th>
              <th scope="col">Last used</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr id={`key-${key.id}`} class={key.id === props.highlight ? 'highlight' : undefined}>
                <th scope="row" data-label="Name">
                  <span safe>{key.name}</span> <KeyFlags apiKey={key} now={state.now} />
                </th>
                <td data-label="Kind">
                  <KindMarker kind={key.kind} />
                </td>
                <td data-label="Key">
                  <code class="masked" safe>
                    {key.masked}
                  </code>
                </td>
                <td data-label="Deploy targets">
                  <TargetNames apiKey={key} targets={targets} />
                </td>
                <td data-label="Last used" class="last-used">
                  <LastUsed usage={state.usage.get(key.id)} now={state.now} targets={targets} />
                </td>
                <td data-label="Created">
                  <span safe>{formatTime(key.createdAt)}</span>
                  <br />
                  <span class="muted" safe>{`by ${key.createdBy}`}</span>
                  {key.expiresAt === null ? (
                    ''
                  ) : (
                    <>
                      <br />
                      <span class="muted" safe>{`expires ${formatTime(key.expiresAt)}`}</span>
                    </>
                  )}
                </td>
                <td class="row-actions">
                  {key.kind === 'js' ? (
                    <KeyDialogButton base={base} apiKey={key} dialog="script-tags" id="script" hint="of ">
                      Script tag
                    </KeyDialogButton>
                  ) : (
                    ''
                  )}
                  <KeyDialogButton base={base} apiKey={key} dialog="usage" id="usage" hint="of ">
                    Usage
                  </KeyDialogButton>
                  <KeyDialogButton base={base} apiKey={key} dialog="edit" id="edit">
                    Edit
                  </KeyDialogButton>
                  <KeyDialogButton base={base} apiKey={key} dialog="roll" id="roll">
                    Roll
                  </KeyDialogButton>
                  <KeyDialogButton base={base} apiKey={key} dialog="delete" id="delete" danger>
                    Delete
                  </KeyDialogButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function CreateMenu(props: { base: string }): JSX.Element {
  const option = (kind: 'rest' | 'js', label: string, hint: string) => (
    <form hx-post={props.base} hx-target="#keys-panel" hx-swap="outerHTML">
      <input type="hidden" name="kind" value={kind} />
      <button type="submit" class="menu-item">
        <span class="menu-item-label" safe>
          {label}
        </span>
        <span class="menu-item-hint" safe>
          {hint}
        </span>
      </button>
    </form>
  );
  return (
    <details class="menu align-end" data-menu>
      <summary class="button primary">Create API Key</summary>
      <div class="menu-panel">
        {option('rest', 'REST API', 'Runtime API calls from your servers and apps')}
        {option('js', 'JavaScript and On-Device', 'The script tag, and native apps deciding on the device')}
      </div>
    </details>
  );
}

function ApiKeysPage(props: {
  ctx: AccountContext;
  keys: KeyDetails[];
  targets: DeployTarget[];
  state: KeyState;
  modal?: JSX.Element;
}): JSX.Element {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings/api-keys`;
  const restTarget = props.targets.find((t) => t.kind === 'rest' && t.isDefault);
  return (
    <AccountPage ctx={ctx} title="API Keys / Info" modal={props.modal} wide>
      <h1>Settings</h1>
      <SettingsTabs ctx={ctx} />
      <section aria-labelledby="keys-title">
        <div class="section-head">
          <h2 id="keys-title">API Keys</h2>
          <div class="actions">
            <button
              type="button"
              class="button"
              id="new-admin-key"
              hx-get={`${base}/new-admin`}
              hx-target="#modal"
            >
              New Admin Key
            </button>
            <CreateMenu base={base} />
          </div>
        </div>
        <p class="intro">
          <strong>Runtime keys</strong> authenticate the REST API (<em>REST API</em>) or serve the script tag
          and on-device bundles (<em>JS / On-Device</em>). <strong>Admin keys</strong> read reports and
          agents, or also change agents and goals. Keys never manage keys, users or deploy targets.
        </p>
        <KeysPanel ctx={ctx} keys={props.keys} targets={props.targets} state={props.state} />
      </section>
      <section aria-labelledby="info-title" class="info">
        <h2 id="info-title">Info</h2>
        <dl class="facts">
          <dt>Account</dt>
          <dd>
            <span safe>{ctx.account.name}</span> <code safe>{ctx.account.id}</code>
          </dd>
          <dt>REST API</dt>
          <dd>
            <code safe>{`POST ${ctx.origin}/${ctx.account.id}/v3/agent-api/{deploy target}`}</code>
            {restTarget ? (
              <span class="hint" safe>
                {` (without a target: ${restTarget.name}, ${restTarget.id})`}
              </span>
            ) : (
              ''
            )}
          </dd>
          <dt>Admin API</dt>
          <dd>
            <code safe>{`${ctx.origin}/admin/${ctx.account.id}/`}</code>
          </dd>
          <dt>Sending a key</dt>
          <dd>
            <code>Authorization: Bearer KEY</code> or <code>?apikey=KEY</code>
          </dd>
        </dl>
      </section>
    </AccountPage>
  );
}

function NewSecretDialog(props: {
  ctx: AccountContext;
  apiKey: ApiKey;
  secret: string;
  targets: DeployTarget[];
  /** a roll: when the previous secret stops working */
  previousValidUntil?: number;
  /** the roll gave the previous secret no grace */
  previousEndsNow?: boolean;
}): JSX.Element {
  const { ctx, apiKey: key, secret, previousValidUntil, previousEndsNow } = props;
  const marker = KIND_MARKERS[key.kind].label;
  const title =
    previousValidUntil === undefined ? `New ${marker} key: ${key.name}` : `New secret for ${key.name}`;
  const example =
    key.kind === 'rest'
      ? `curl -H 'Authorization: Bearer ${secret}' -H 'Content-Type: application/json' -d '{"commands":[{"a":"a-example"}]}' ${ctx.origin}/${ctx.account.id}/v3/agent-api`
      : key.kind === 'js'
        ? null
        : `curl -H 'Authorization: Bearer ${secret}' ${ctx.origin}/admin/${ctx.account.id}/agents`;
  return (
    <Dialog id="new-key" title={title} wide>
      {previousValidUntil === undefined ? (
        ''
      ) : (
        <p safe>
          {previousEndsNow
            ? 'Same key, same name, kind and deploy targets; a new secret. The previous secret no longer works: requests made with it are refused as expired. Put the new one in place now.'
            : `Same key, same name, kind and deploy targets; a new secret. The previous secret works until ${formatTime(previousValidUntil)}, then requests made with it are refused as expired: put the new one in place before then.`}
        </p>
      )}
      {key.kind === 'js' ? (
        <p>
          This key is public by nature: it appears in your pages' script tags, so you can show it again from
          the list (<strong>Script tag</strong>).
        </p>
      ) : (
        <p class="warning" role="note">
          <strong>Copy this key now. It will not be shown again.</strong> Tessera keeps only a fingerprint of
          it; if you lose it, create a new key.
        </p>
      )}
      <CopyField id="new-key-secret" label="API key" value={secret} />
      {key.kind === 'js' ? (
        <>
          <h3>Ready-to-paste script tags</h3>
          <ScriptTags ctx={ctx} token={secret} targets={allowedTargets(key, props.targets)} />
        </>
      ) : (
        ''
      )}
      {example === null ? '' : <CopyField id="new-key-example" label="Try it" value={example} multiline />}
      <div class="dialog-actions">
        <button type="button" class="button primary" data-close-dialog>
          Done
        </button>
      </div>
    </Dialog>
  );
}

function NewAdminKeyDialog(props: { base: string }): JSX.Element {
  return (
    <Dialog id="new-admin" title="New Admin Key">
      <form hx-post={props.base} hx-target="#keys-panel" hx-swap="outerHTML" class="stack">
        <fieldset>
          <legend>Access level</legend>
          <label class="choice">
            <input type="radio" name="kind" value="admin-read" checked />
            <span>
              <strong>Reports and List Agents (read-only)</strong>
              <span class="hint">
                Gets information such as the list of agents or reporting data; can't make changes.
              </span>
            </span>
          </label>
          <label class="choice">
            <input type="radio" name="kind" value="admin-author" />
            <span>
              <strong>Agent Author / Admin</strong>
              <span class="hint">Creates or changes agents and goals, and deploys them.</span>
            </span>
          </label>
        </fieldset>
        <label for="new-admin-name">
          Name <span class="hint">(optional)</span>
        </label>
        <input id="new-admin-name" name="name" type="text" maxlength="100" placeholder="Admin key" />
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** A row's button that opens one of the key's dialogs; the key's name is read out after the label. */
function KeyDialogButton(props: {
  base: string;
  apiKey: ApiKey;
  dialog: string;
  id: string;
  /** the visible label */
  children: Children;
  /** what comes between the label and the name for a screen reader ("of ") */
  hint?: string;
  danger?: boolean;
}): JSX.Element {
  const { apiKey: key } = props;
  return (
    <button
      type="button"
      class={props.danger ? 'button small danger' : 'button small'}
      id={`${props.id}-${key.id}`}
      hx-get={`${props.base}/${key.id}/${props.dialog}`}
      hx-target="#modal"
    >
      {props.children}
      <span class="visually-hidden" safe>{` ${props.hint ?? ''}${key.name}`}</span>
    </button>
  );
}

function EditKeyDialog(props: { base: string; apiKey: ApiKey; targets: DeployTarget[] }): JSX.Element {
  const { apiKey: key } = props;
  const kind = targetKindFor(key.kind);
  const ofKind = kind === null ? [] : props.targets.filter((t) => t.kind === kind);
  return (
    <Dialog id="edit-key" title={`Edit API key: ${key.name}`}>
      <form
        hx-post={`${props.base}/${key.id}/edit`}
        hx-target="#keys-panel"
        hx-swap="outerHTML"
        class="stack"
      >
        <p>
          <KindMarker kind={key.kind} />{' '}
          <code class="masked" safe>
            {key.masked}
          </code>
        </p>
        <label for="edit-key-name">Name</label>
        <input id="edit-key-name" name="name" type="text" required maxlength="100" value={key.name} />
        {kind === null ? (
          <p class="hint">Admin keys work on the whole account; they have no deploy targets.</p>
        ) : (
          <fieldset aria-describedby="edit-key-targets-hint">
            <legend safe>{`Associated ${TARGET_KIND_LABELS[kind]} deploy targets`}</legend>
            <p class="hint" id="edit-key-targets-hint" safe>
              {`Choose the ${TARGET_KIND_LABELS[kind]} deploy targets this key works for; with any other, it gets 403 (Not Authorized). Leave all unchecked to let it work with every ${TARGET_KIND_LABELS[kind]} deploy target.`}
            </p>
            {ofKind.length === 0 ? (
              <p class="hint" safe>{`There is no ${TARGET_KIND_LABELS[kind]} deploy target yet.`}</p>
            ) : (
              ofKind.map((t) => (
                <label class="choice">
                  <input
                    type="checkbox"
                    name="deployTargets"
                    value={t.id}
                    checked={key.deployTargets.includes(t.id)}
                  />
                  <span>
                    <span safe>{t.name}</span>{' '}
                    <code class="muted" safe>
                      {t.id}
                    </code>
                  </span>
                </label>
              ))
            )}
          </fieldset>
        )}
        {key.kind === 'js' ? (
          <>
            <label for="edit-key-origins">
              Allowed origins{' '}
              <span class="hint" id="edit-key-origins-hint">
                (one per line, such as https://shop.example.com; empty: pages on any origin may send events
                with this key; others get 403)
              </span>
            </label>
            <textarea
              id="edit-key-origins"
              name="allowedOrigins"
              rows="3"
              maxlength="5000"
              aria-describedby="edit-key-origins-hint"
              safe
            >
              {key.allowedOrigins.join('\n')}
            </textarea>
          </>
        ) : null}
        <label for="edit-key-expires">
          Expires <span class="hint">(UTC; empty: never)</span>
        </label>
        <input
          id="edit-key-expires"
          name="expiresAt"
          type="datetime-local"
          value={key.expiresAt === null ? '' : expiryField(key.expiresAt)}
        />
        <label for="edit-key-rate">
          Rate limit <span class="hint">(requests per second; empty: no limit; over it: 429)</span>
        </label>
        <input
          id="edit-key-rate"
          name="rateLimit"
          type="number"
          min="1"
          step="1"
          value={key.rateLimit ? String(key.rateLimit.perSecond) : ''}
        />
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteKeyDialog(props: {
  base: string;
  apiKey: ApiKey;
  usage: KeyUsage | undefined;
  now: number;
  targets: Map<string, DeployTarget>;
}): JSX.Element {
  const { apiKey: key, usage, now } = props;
  const lastUse = usage?.lastUse ?? null;
  const recent = usedRecently(usage, now);
  return (
    <Dialog id="delete-key" title="Delete this API key?">
      <p>
        <strong safe>{key.name}</strong> <KindMarker kind={key.kind} />{' '}
        <code class="masked" safe>
          {key.masked}
        </code>
      </p>
      <div class="warning" role="note">
        <p>
          <strong>Make sure it's not in use</strong> in any code on your side: the key stops working at once,
          and every request that uses it gets 403 (Not Authorized) right away.
        </p>
        {key.kind === 'js' ? (
          <p>
            Script tags that load with it will get "Not Found" or "Not Authorized" instead of the JS content.
          </p>
        ) : (
          ''
        )}
        <p>There is no way to re-create an API key once deleted.</p>
      </div>
      {lastUse === null ? (
        <p class="hint">Tessera has seen no request with this key.</p>
      ) : (
        <p safe>
          {`Last used ${timeAgo(lastUse.at, now)} (${formatTime(lastUse.at)}) on ${targetLabel(lastUse.deployTargetId, props.targets)}${lastUse.clientAddress ? ` from ${lastUse.clientAddress}` : ''}; ${plural(usage?.requests.lastDay ?? 0, 'request')} in the last 24 hours.`}
        </p>
      )}
      <form
        hx-post={`${props.base}/${key.id}/delete`}
        hx-target="#keys-panel"
        hx-swap="outerHTML"
        class="stack"
      >
        {recent ? (
          <>
            <label for="delete-key-confirm">
              This key was used in the last 24 hours. Type its name, <strong safe>{key.name}</strong>, to
              delete it:
            </label>
            <input id="delete-key-confirm" name="confirm" type="text" required autocomplete="off" />
          </>
        ) : (
          ''
        )}
        <FormError />
        <div class="dialog-actions">
          <CancelButton label="Keep the key" />
          <button type="submit" class="button danger">
            Delete API key
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function Windows(props: { figures: UsageWindows }): JSX.Element {
  const { figures } = props;
  return (
    <>
      <td class="num" data-label="Last hour" safe>
        {String(figures.lastHour)}
      </td>
      <td class="num" data-label="Last day" safe>
        {String(figures.lastDay)}
      </td>
      <td class="num" data-label="Last 30 days" safe>
        {String(figures.last30Days)}
      </td>
    </>
  );
}

/** The three window columns' heads. */
function WindowHeads(): JSX.Element {
  return (
    <>
      <th scope="col" class="num">
        Last hour
      </th>
      <th scope="col" class="num">
        Last day
      </th>
      <th scope="col" class="num">
        Last 30 days
      </th>
    </>
  );
}

function UsageDialog(props: {
  base: string;
  apiKey: KeyDetails;
  usage: KeyUsage | undefined;
  now: number;
  targets: Map<string, DeployTarget>;
}): JSX.Element {
  const { apiKey: key, usage, now, targets } = props;
  const lastUse = usage?.lastUse ?? null;
  const used = new Map((usage?.bySecret ?? []).map((s) => [s.generation, s]));
  const current = key.secrets[0]?.generation ?? 1;
  const secrets = key.secrets.filter(
    (s) => s.generation === current || used.has(s.generation) || (s.validUntil ?? 0) > now,
  );
  const inGrace = secretsInGrace(key.secrets, now);
  return (
    <Dialog id="key-usage" title={`Usage: ${key.name}`} wide>
      {lastUse === null ? (
        <p>Tessera has seen no request with this key in the last 30 days.</p>
      ) : (
        <dl class="facts">
          <dt>Last used</dt>
          <dd safe>{`${timeAgo(lastUse.at, now)} (${formatTime(lastUse.at)})`}</dd>
          <dt>Deploy target</dt>
          <dd safe>{targetLabel(lastUse.deployTargetId, targets)}</dd>
          <dt>Client address</dt>
          <dd safe>{lastUse.clientAddress ?? 'unknown'}</dd>
          <dt>User agent</dt>
          <dd safe>{lastUse.userAgent ?? 'none sent'}</dd>
        </dl>
      )}
      <h3>Requests by deploy target</h3>
      {(usage?.byDeployTarget.length ?? 0) === 0 ? (
        <p class="hint">No accepted request in the last 30 days.</p>
      ) : (
        <table class="table keep-table">
          <thead>
            <tr>
              <th scope="col">Deploy target</th>
              <WindowHeads />
            </tr>
          </thead>
          <tbody>
            {(usage?.byDeployTarget ?? []).map((t) => (
              <tr>
                <th scope="row" safe>
                  {targetLabel(t.deployTargetId, targets)}
                </th>
                <Windows figures={t} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Requests by secret</h3>
      <p class="hint">
        After a roll, this shows whether the previous secret is still being used before its grace period ends.
      </p>
      <table class="table keep-table">
        <thead>
          <tr>
            <th scope="col">Secret</th>
            <th scope="col">State</th>
            <th scope="col">Last used</th>
            <WindowHeads />
          </tr>
        </thead>
        <tbody>
          {secrets.map((s) => {
            const figures = used.get(s.generation);
            const state =
              s.generation === current
                ? 'current'
                : s.validUntil !== null && s.validUntil > now
                  ? `previous: works until ${formatTime(s.validUntil)}`
                  : 'previous: no longer works';
            return (
              <tr>
                <th scope="row">
                  <code class="masked" safe>
                    {s.masked}
                  </code>
                </th>
                <td safe>{state}</td>
                <td>{figures?.lastUsedAt ? timeAgo(figures.lastUsedAt, now) : 'never'}</td>
                <Windows figures={figures ?? { lastHour: 0, lastDay: 0, last30Days: 0 }} />
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3>Refused requests</h3>
      {(usage?.refused.length ?? 0) === 0 ? (
        <p class="hint">None in the last 30 days.</p>
      ) : (
        <table class="table keep-table">
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <WindowHeads />
            </tr>
          </thead>
          <tbody>
            {(usage?.refused ?? []).map((r) => (
              <tr>
                <th scope="row">
                  <code safe>{r.reason}</code>
                </th>
                <Windows figures={r} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="dialog-actions">
        {inGrace.length > 0 ? (
          <form hx-post={`${props.base}/${key.id}/roll/end`} hx-target="#keys-panel" hx-swap="outerHTML">
            <FormError />
            <button type="submit" class="button danger">
              End grace period now
            </button>
          </form>
        ) : (
          ''
        )}
        <button type="button" class="button primary" data-close-dialog>
          Done
        </button>
      </div>
    </Dialog>
  );
}

function RollKeyDialog(props: { base: string; apiKey: KeyDetails; now: number }): JSX.Element {
  const { apiKey: key, now } = props;
  const inGrace = secretsInGrace(key.secrets, now);
  return (
    <Dialog id="roll-key" title={`Roll API key: ${key.name}`}>
      <p>
        Rolling gives this key a new secret. The key keeps its name, kind and deploy targets. Put the new
        secret in place, then let the previous one stop.
      </p>
      {key.kind === 'js' ? <p class="hint">Script tags carry the key: update them with the new one.</p> : ''}
      <form
        hx-post={`${props.base}/${key.id}/roll`}
        hx-target="#keys-panel"
        hx-swap="outerHTML"
        class="stack"
      >
        <fieldset>
          <legend>The previous secret stops working</legend>
          {GRACE_CHOICES.map((choice) => (
            <label class="choice">
              <input
                type="radio"
                name="graceSeconds"
                value={String(choice.seconds)}
                checked={choice.seconds === 86_400}
              />
              <span safe>{choice.label}</span>
            </label>
          ))}
        </fieldset>
        {inGrace.length > 0 ? (
          <p class="hint">
            An earlier roll's previous secret still works; it stops no later than the new grace period ends.
          </p>
        ) : (
          ''
        )}
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            Roll key
          </button>
        </div>
      </form>
      {inGrace.length > 0 ? (
        <form hx-post={`${props.base}/${key.id}/roll/end`} hx-target="#keys-panel" hx-swap="outerHTML">
          <FormError />
          <button type="submit" class="button danger">
            End grace period now
          </button>
        </form>
      ) : (
        ''
      )}
    </Dialog>
  );
}

function ScriptTagsDialog(props: {
  ctx: AccountContext;
  apiKey: ApiKey;
  targets: DeployTarget[];
}): JSX.Element {
  const { apiKey: key } = props;
  return (
    <Dialog id="script-tags" title={`Script tags: ${key.name}`} wide>
      <CopyField
        id="js-key-token"
        label="API key (public: it is part of the script tag)"
        value={key.publicToken ?? ''}
      />
      <ScriptTags
        ctx={props.ctx}
        token={key.publicToken ?? ''}
        targets={allowedTargets(key, props.targets)}
      />
      <div class="dialog-actions">
        <button type="button" class="button primary" data-close-dialog>
          Done
        </button>
      </div>
    </Dialog>
  );
}

const Params = z.object({ acc: z.string().min(1).max(64) });
const KeyParams = Params.extend({ id: z.string().min(1).max(64) });
const FormName = z.string().trim().max(100, 'Name: at most 100 characters');
const TargetField = z.union([z.string().max(64), z.array(z.string().max(64)).max(100)]).optional();

/** A key's expiry as the Edit form's datetime-local field shows it (UTC, to the minute). */
const expiryField = (ms: number): string => new Date(ms).toISOString().slice(0, 16);

const CreateForm = z.object({ kind: z.enum(KEY_KINDS), name: FormName.optional() });
const EditForm = z.object({
  name: FormName.min(1, 'Name: must not be empty'),
  deployTargets: TargetField,
  /** datetime-local, read as UTC; empty: never expires (absent: unchanged) */
  expiresAt: z
    .union([
      z.literal(''),
      z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'Expires: a date and time')
        .refine((value) => parseDateTime(value) !== null, 'Expires: that date and time does not exist'),
    ])
    .optional(),
  /** JS keys: one origin per line; empty: any origin (absent: unchanged) */
  allowedOrigins: z.string().max(5000, 'Allowed origins: at most 5000 characters').optional(),
  /** requests per second; empty: no limit (absent: unchanged) */
  rateLimit: z
    .union([
      z.literal(''),
      z.string().regex(/^\d{1,7}$/, 'Rate limit: a whole number of requests per second'),
    ])
    .optional(),
});
const RollForm = z.object({ graceSeconds: z.enum(GRACE_CHOICES.map((c) => String(c.seconds))) });
const DeleteForm = z.object({ confirm: z.string().max(200).optional() });

function formExpiry(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === '') return null;
  // The schema has checked it is a real moment.
  return parseDateTime(value);
}

function formOrigins(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function formRateLimit(value: string | undefined): { perSecond: number } | null | undefined {
  if (value === undefined) return undefined;
  return value === '' ? null : { perSecond: Number(value) };
}

export function registerApiKeyPages(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const manage = { config: { permission: 'manage' } } as const;
  const path = '/:acc/settings/api-keys';
  const baseOf = (ctx: AccountContext) => `${CONSOLE}/${ctx.account.id}/settings/api-keys`;

  async function load(accountId: string) {
    const [keys, targets] = await Promise.all([
      services.keys.listKeys(accountId),
      services.deployTargets.list(accountId),
    ]);
    const usage = await services.keyUsage.usageOf(keys.map((k) => k.id));
    return { keys, targets, state: { usage, now: services.now() } };
  }

  /** One key with its usage and the account's targets, for a dialog. */
  async function loadKey(accountId: string, keyId: string) {
    const key = await services.keys.getKey(accountId, keyId);
    const [usage, targets] = await Promise.all([
      services.keyUsage.usageOf([key.id]),
      services.deployTargets.list(accountId),
    ]);
    return {
      key,
      usage: usage.get(key.id),
      now: services.now(),
      targets: new Map(targets.map((t) => [t.id, t])),
    };
  }

  /** A dialog: a fragment for htmx, or the whole page with the dialog open when visited directly. */
  async function sendDialog(
    request: FastifyRequest,
    reply: FastifyReply,
    ctx: AccountContext,
    dialog: JSX.Element,
  ): Promise<FastifyReply> {
    if (isHtmx(request)) return sendHtml(reply, dialog);
    return sendHtml(reply, <ApiKeysPage ctx={ctx} {...(await load(ctx.account.id))} modal={dialog} />);
  }

  /** After a change: the list again, the modal closed (or showing `modal`), and a message. */
  async function sendPanel(
    reply: FastifyReply,
    ctx: AccountContext,
    message: string,
    highlight?: string,
    modal?: JSX.Element,
  ) {
    const data = await load(ctx.account.id);
    return sendHtml(
      reply,
      <>
        <KeysPanel ctx={ctx} {...data} highlight={highlight} />
        {modal === undefined ? (
          <CloseModal />
        ) : (
          <div id="modal" hx-swap-oob="innerHTML">
            {modal}
          </div>
        )}
        <Flash message={message} />
      </>,
    );
  }

  app.get(path, { ...manage, schema: { params: Params, hide: true } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <ApiKeysPage ctx={ctx} {...(await load(ctx.account.id))} />);
  });

  app.get(
    `${path}/new-admin`,
    { ...manage, schema: { params: Params, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      return sendDialog(request, reply, ctx, <NewAdminKeyDialog base={baseOf(ctx)} />);
    },
  );

  app.post(
    path,
    { ...manage, schema: { params: Params, body: CreateForm, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const { kind } = request.body;
      const name = request.body.name || DEFAULT_NAMES[kind];
      const { key, secret } = await services.keys.createKey(
        ctx.account.id,
        { kind, name },
        auditActor(request),
      );
      const targets = await services.deployTargets.list(ctx.account.id);
      reply.header('cache-control', 'no-store');
      return sendPanel(
        reply,
        ctx,
        `Created ${KIND_MARKERS[kind].label} key "${name}".`,
        key.id,
        <NewSecretDialog ctx={ctx} apiKey={key} secret={secret} targets={targets} />,
      );
    },
  );

  /** `GET …/:id/<name>`: a dialog about one key of the account, rendered by `render`. */
  function keyDialog(
    name: string,
    render: (ctx: AccountContext, keyId: string) => Promise<JSX.Element>,
  ): void {
    app.get(
      `${path}/:id/${name}`,
      { ...manage, schema: { params: KeyParams, hide: true } },
      async (request, reply) => {
        const ctx = await accountContext(services, request, request.params.acc);
        return sendDialog(request, reply, ctx, await render(ctx, request.params.id));
      },
    );
  }

  keyDialog('edit', async (ctx, id) => {
    const key = await services.keys.getKey(ctx.account.id, id);
    const targets = await services.deployTargets.list(ctx.account.id);
    return <EditKeyDialog base={baseOf(ctx)} apiKey={key} targets={targets} />;
  });

  keyDialog('usage', async (ctx, id) => {
    const { key, usage, now, targets } = await loadKey(ctx.account.id, id);
    return <UsageDialog base={baseOf(ctx)} apiKey={key} usage={usage} now={now} targets={targets} />;
  });

  keyDialog('roll', async (ctx, id) => {
    const key = await services.keys.getKey(ctx.account.id, id);
    return <RollKeyDialog base={baseOf(ctx)} apiKey={key} now={services.now()} />;
  });

  keyDialog('delete', async (ctx, id) => {
    const { key, usage, now, targets } = await loadKey(ctx.account.id, id);
    return <DeleteKeyDialog base={baseOf(ctx)} apiKey={key} usage={usage} now={now} targets={targets} />;
  });

  app.post(
    `${path}/:id/edit`,
    { ...manage, schema: { params: KeyParams, body: EditForm, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const current = await services.keys.getKey(ctx.account.id, request.params.id);
      // Admin keys have no targets: their form has none, and sending none must not mean "clear".
      const deployTargets =
        targetKindFor(current.kind) === null ? undefined : asList(request.body.deployTargets);
      // The form sends the expiry back as it showed it (to the minute): unchanged, it is left as
      // it is, neither rounded nor refused for being past (a key that expired can be renamed).
      const expiryUnchanged =
        current.expiresAt !== null && request.body.expiresAt === expiryField(current.expiresAt);
      const key = await services.keys.updateKey(
        ctx.account.id,
        current.id,
        {
          name: request.body.name,
          deployTargets,
          expiresAt: expiryUnchanged ? undefined : formExpiry(request.body.expiresAt),
          rateLimit: formRateLimit(request.body.rateLimit),
          // Only a JS key's form has the field; for other kinds it is not a change.
          allowedOrigins: current.kind === 'js' ? formOrigins(request.body.allowedOrigins) : undefined,
        },
        auditActor(request),
      );
      return sendPanel(reply, ctx, `Saved API key "${key.name}".`, key.id);
    },
  );

  app.post(
    `${path}/:id/roll`,
    { ...manage, schema: { params: KeyParams, body: RollForm, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const graceSeconds = Number(request.body.graceSeconds);
      const { key, secret } = await services.keys.rollKey(
        ctx.account.id,
        request.params.id,
        graceSeconds,
        auditActor(request),
      );
      const targets = await services.deployTargets.list(ctx.account.id);
      // The end the roll gave the previous secret (now, for a grace of 0).
      const previousValidUntil = key.secrets[1]?.validUntil ?? services.now();
      reply.header('cache-control', 'no-store');
      return sendPanel(
        reply,
        ctx,
        `Rolled API key "${key.name}".`,
        key.id,
        <NewSecretDialog
          ctx={ctx}
          apiKey={key}
          secret={secret}
          targets={targets}
          previousValidUntil={previousValidUntil}
          previousEndsNow={graceSeconds === 0}
        />,
      );
    },
  );

  app.post(
    `${path}/:id/roll/end`,
    { ...manage, schema: { params: KeyParams, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const key = await services.keys.endGrace(ctx.account.id, request.params.id, auditActor(request));
      return sendPanel(reply, ctx, `The previous secret of "${key.name}" no longer works.`, key.id);
    },
  );

  app.post(
    `${path}/:id/delete`,
    { ...manage, schema: { params: KeyParams, body: DeleteForm.optional(), hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      // An empty field is no confirmation (the person typed nothing).
      const confirmName = request.body?.confirm || undefined;
      const key = await services.keys.revokeKey(ctx.account.id, request.params.id, auditActor(request), {
        confirmName,
      });
      return sendPanel(reply, ctx, `Deleted API key "${key.name}". It no longer works.`);
    },
  );

  app.get(
    `${path}/:id/script-tags`,
    { ...manage, schema: { params: KeyParams, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const key = await services.keys.getKey(ctx.account.id, request.params.id);
      if (key.kind !== 'js' || key.publicToken === null) {
        return reply.callNotFound();
      }
      const targets = await services.deployTargets.list(ctx.account.id);
      return sendDialog(request, reply, ctx, <ScriptTagsDialog ctx={ctx} apiKey={key} targets={targets} />);
    },
  );
}
