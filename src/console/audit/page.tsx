/**
 * Settings > Audit log (Account Admins): every change to keys, deploy targets, people,
 * deployments, agents and goals, newest first, read-only. A plain GET form filters by person (or
 * key), target and time; "Export" downloads the same selection as JSON lines from the Admin API.
 */
import { AUDIT_TARGET_TYPES, type AuditEntry } from '../../audit/audit-log.js';
import type { AccountContext } from '../kit/context.js';
import { CONSOLE, formatTime } from '../kit/html.js';
import { AccountPage, SettingsTabs } from '../kit/layout.js';
import { exportHref, type Query } from './forms.js';

export const PAGE_SIZE = 200;

const TYPE_LABELS: Record<(typeof AUDIT_TARGET_TYPES)[number], string> = {
  'api-key': 'API keys',
  'deploy-target': 'Deploy targets and deployments',
  user: 'Users',
  agent: 'Agents',
  goal: 'Goals',
  trait: 'Visitor traits',
  'qa-session': 'QA sessions',
};

function Change(props: { entry: AuditEntry }): JSX.Element {
  const { before, after } = props.entry;
  const text = (value: unknown) => JSON.stringify(value, null, 1);
  return (
    <details>
      <summary>Before and after</summary>
      <pre class="audit-change mono" safe>
        {`before: ${text(before)}\nafter:  ${text(after)}`}
      </pre>
    </details>
  );
}

export function AuditPage(props: { ctx: AccountContext; entries: AuditEntry[]; query: Query }): JSX.Element {
  const { ctx, entries, query } = props;
  return (
    <AccountPage ctx={ctx} title="Audit log">
      <h1>Settings</h1>
      <SettingsTabs ctx={ctx} />
      <section aria-labelledby="audit-title">
        <div class="section-head">
          <h2 id="audit-title">Audit log</h2>
          <div class="actions">
            <a class="button" id="audit-export" href={exportHref(ctx.account.id, query)} download="">
              Export (JSON lines)
            </a>
          </div>
        </div>
        <p class="intro">
          Every change to API keys, deploy targets, users, deployments, agents and goals: who made it, when,
          from which address, and what changed. Secrets are never recorded. Refused uses of keys are counted
          in each key's usage instead.
        </p>
        <form method="get" action={`${CONSOLE}/${ctx.account.id}/settings/audit`} class="filters">
          <label>
            Person or key
            <input name="actor" type="text" value={query.actor ?? ''} placeholder="someone@example.com" />
          </label>
          <label>
            Target
            <input name="target" type="text" value={query.target ?? ''} placeholder="key-…, dt-…, a-…" />
          </label>
          <label>
            Kind
            <select name="type">
              <option value="">All</option>
              {AUDIT_TARGET_TYPES.map((type) => (
                <option value={type} selected={query.type === type} safe>
                  {TYPE_LABELS[type]}
                </option>
              ))}
            </select>
          </label>
          <label>
            Since (UTC day)
            <input name="since" type="date" value={query.since ?? ''} />
          </label>
          <button type="submit" class="button">
            Filter
          </button>
        </form>
        {entries.length === 0 ? (
          <p class="empty">No change matches.</p>
        ) : (
          <table class="table audit-table">
            <caption class="visually-hidden">Changes, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">From</th>
                <th scope="col">What</th>
                <th scope="col">Target</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr>
                  <td data-label="When" safe>
                    {formatTime(entry.at)}
                  </td>
                  <td data-label="Who" safe>
                    {entry.actor}
                  </td>
                  <td data-label="From" safe>
                    {entry.clientAddress ?? '—'}
                  </td>
                  <td data-label="What">
                    <code safe>{entry.action}</code>
                  </td>
                  <td data-label="Target">
                    <code safe>{entry.targetId}</code>
                  </td>
                  <td data-label="Change">
                    <Change entry={entry} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {entries.length === PAGE_SIZE ? (
          <p class="hint">
            {`The ${PAGE_SIZE} newest matching changes are shown; narrow the filters or export them all.`}
          </p>
        ) : (
          ''
        )}
      </section>
    </AccountPage>
  );
}
