/** Visitor traits: the account's custom traits (everyone reads; Agent Authors and above edit). */
import type { ConditionClause } from '../../agents/snapshot.js';
import type { Trait } from '../../agents/traits.js';
import type { AccountContext } from '../kit/context.js';
import { FormError } from '../kit/dialog.js';
import { CONSOLE } from '../kit/html.js';
import { AccountPage } from '../kit/layout.js';

const EXAMPLE = JSON.stringify(
  [
    { value: 'pro', when: [{ input: 'plan', op: 'in', values: ['pro', 'team'] }] },
    { value: 'free', when: [] },
  ],
  null,
  2,
);

function describeClause(c: ConditionClause): string {
  if ('op' in c) {
    const subject = c.input ?? c.trait ?? c.visitor ?? '';
    const operand = c.values ? ` ${c.values.join(', ')}` : c.value === undefined ? '' : ` ${c.value}`;
    return `${subject} ${c.op}${operand}`;
  }
  if ('input' in c) return `${c.input} = ${c.is}`;
  return `has ${c.trait}`;
}

export function TraitsPage(props: { ctx: AccountContext; traits: Trait[]; editing?: Trait }): JSX.Element {
  const { ctx, editing } = props;
  const base = `${CONSOLE}/${ctx.account.id}/traits`;
  const canChange = ctx.can('change');
  const title: string = editing ? `Trait cust/${editing.group}` : 'New trait';
  const rulesText: string = editing ? JSON.stringify(editing.rules, null, 2) : '';
  return (
    <AccountPage ctx={ctx} title="Visitor traits">
      <div class="section-head">
        <h1>Visitor traits</h1>
        {editing && canChange ? (
          <div class="actions">
            <a class="button primary" id="new-trait" href={base}>
              New trait
            </a>
          </div>
        ) : (
          ''
        )}
      </div>
      <div class="stack">
        <p class="intro">
          A custom trait gives every request's session <code>cust/GROUP:VALUE</code> from the first of its
          rules that holds. It comes back in <code>traits</code> and conditions and eligibility can use it.
          Rules read inputs, query and <code>ua/</code> traits, and visitor facts (weekday and hour in UTC).
        </p>
        {props.traits.length === 0 ? (
          <p class="empty">No custom traits yet.</p>
        ) : (
          <table class="table">
            <caption class="visually-hidden">Custom visitor traits of this account</caption>
            <thead>
              <tr>
                <th scope="col">Trait group</th>
                <th scope="col">Rules, in order</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.traits.map((t) => (
                <tr id={`trait-${t.group}`} class={t.group === editing?.group ? 'highlight' : undefined}>
                  <th scope="row" data-label="Trait group">
                    <code safe>{`cust/${t.group}`}</code>
                  </th>
                  <td data-label="Rules">
                    <ol class="plain-list">
                      {t.rules.map((r) => (
                        <li>
                          <code safe>{r.value}</code>
                          <span safe>
                            {r.when.length === 0
                              ? ' always'
                              : ` when ${r.when.map(describeClause).join(r.match === 'any' ? ' or ' : ' and ')}`}
                          </span>
                        </li>
                      ))}
                    </ol>
                  </td>
                  <td class="row-actions">
                    <a class="button small" id={`edit-trait-${t.group}`} href={`${base}/${t.group}`}>
                      {canChange ? 'Edit' : 'View'}
                      <span class="visually-hidden" safe>{` ${t.group}`}</span>
                    </a>
                    {canChange ? (
                      <button
                        type="button"
                        class="button small danger"
                        id={`delete-trait-${t.group}`}
                        hx-post={`${base}/${t.group}/delete`}
                        hx-confirm={`Delete trait ${t.group}? Sessions stop getting it at the next deployment.`}
                      >
                        Delete<span class="visually-hidden" safe>{` ${t.group}`}</span>
                      </button>
                    ) : (
                      ''
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form id="trait-editor" class="card stack" hx-post={base} hx-swap="none">
          <h2 safe>{title}</h2>
          <fieldset disabled={!canChange} class="plain stack">
            <label for="trait-group">Trait group</label>
            <input
              id="trait-group"
              name="group"
              type="text"
              required
              maxlength="64"
              pattern="[A-Za-z0-9_\-]+"
              placeholder="plan"
              value={editing?.group}
              readonly={editing !== undefined}
            />
            <label for="trait-rules">
              Rules (JSON: tried in order, the first that holds gives the value)
            </label>
            <textarea id="trait-rules" name="rules" rows="10" class="code" placeholder={EXAMPLE} safe>
              {rulesText}
            </textarea>
            <span class="hint">
              Each rule is <code>{'{"value", "when": [clauses], "match": "all" | "any"}'}</code>, clauses as
              in agent conditions.
            </span>
          </fieldset>
          <FormError />
          {canChange ? (
            <div class="form-actions">
              <button type="submit" class="button primary">
                Save trait
              </button>
            </div>
          ) : (
            ''
          )}
        </form>
      </div>
    </AccountPage>
  );
}
