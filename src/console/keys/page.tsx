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
import type { KeyDetails } from '../../keys/api-key.js';
import type { KeyUsage } from '../../keys/key-usage.js';
import type { DeployTarget } from '../../targets/deploy-targets.js';
import type { AccountContext } from '../kit/context.js';
import { CONSOLE, formatTime } from '../kit/html.js';
import { AccountPage, SettingsTabs } from '../kit/layout.js';
import { KeyDialogButton, KeyFlags, KindMarker, LastUsed, TargetNames } from './parts.js';

/** What the list knows of each key besides its record. */
export interface KeyState {
  usage: Map<string, KeyUsage>;
  now: number;
}

export function KeysPanel(props: {
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

export function CreateMenu(props: { base: string }): JSX.Element {
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

export function ApiKeysPage(props: {
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
