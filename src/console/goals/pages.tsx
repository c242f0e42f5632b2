/** Goals: the list (everyone reads; Agent Authors and above create, edit and delete). */
import type { Agent } from '../../agents/agents.js';
import type { Goal } from '../../agents/goals.js';
import type { AccountContext } from '../kit/context.js';
import { CONSOLE } from '../kit/html.js';
import { AccountPage } from '../kit/layout.js';

export function GoalsPanel(props: {
  ctx: AccountContext;
  goals: Goal[];
  agents: Agent[];
  highlight?: string;
}) {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}/goals`;
  const trackedBy = (code: string) =>
    props.agents.filter((a) => a.goals === null || a.goals.includes(code)).map((a) => a.code);
  return (
    <div id="goals-panel">
      {props.goals.length === 0 ? (
        <p class="empty">No goals yet.</p>
      ) : (
        <table class="table">
          <caption class="visually-hidden">Goals of this account</caption>
          <thead>
            <tr>
              <th scope="col">Goal</th>
              <th scope="col" class="num">
                Default value
              </th>
              <th scope="col">Tracked by</th>
              {ctx.can('change') ? (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              ) : (
                ''
              )}
            </tr>
          </thead>
          <tbody>
            {props.goals.map((g) => (
              <tr id={`goal-${g.code}`} class={g.code === props.highlight ? 'highlight' : undefined}>
                <th scope="row" data-label="Goal">
                  <span safe>{g.name}</span>{' '}
                  <code class="muted" safe>
                    {g.code}
                  </code>
                </th>
                <td data-label="Default value" class="num" safe>
                  {String(g.value)}
                </td>
                <td data-label="Tracked by" safe>
                  {trackedBy(g.code).join(', ') || 'no agent'}
                </td>
                {ctx.can('change') ? (
                  <td class="row-actions">
                    <button
                      type="button"
                      class="button small"
                      id={`edit-goal-${g.code}`}
                      hx-get={`${base}/${g.code}`}
                      hx-target="#modal"
                    >
                      Edit<span class="visually-hidden" safe>{` ${g.code}`}</span>
                    </button>
                    <button
                      type="button"
                      class="button small danger"
                      id={`delete-goal-${g.code}`}
                      hx-get={`${base}/${g.code}/delete`}
                      hx-target="#modal"
                    >
                      Delete<span class="visually-hidden" safe>{` ${g.code}`}</span>
                    </button>
                  </td>
                ) : (
                  ''
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function GoalsPage(props: {
  ctx: AccountContext;
  goals: Goal[];
  agents: Agent[];
  modal?: JSX.Element;
}) {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}/goals`;
  return (
    <AccountPage ctx={ctx} title="Goals" modal={props.modal}>
      <div class="section-head">
        <h1>Goals</h1>
        {ctx.can('change') ? (
          <div class="actions">
            <button
              type="button"
              class="button primary"
              id="new-goal"
              hx-get={`${base}/new`}
              hx-target="#modal"
            >
              New Goal
            </button>
          </div>
        ) : (
          ''
        )}
      </div>
      <p class="intro">
        A goal is a conversion. A reward credits each agent that tracks it, at most once per session, with the
        value sent or the goal's default.
      </p>
      <GoalsPanel ctx={ctx} goals={props.goals} agents={props.agents} />
    </AccountPage>
  );
}
