/** The list of agents, and one agent's page around its editor. Everyone reads; Agent Authors and above change. */
import type { Agent } from '../../agents/agents.js';
import type { Goal } from '../../agents/goals.js';
import type { AccountContext } from '../kit/context.js';
import { CONSOLE, formatTime } from '../kit/html.js';
import { AccountPage } from '../kit/layout.js';
import { AgentEditor, NEW_AGENT } from './editor.js';
import { StatusMarker } from './status.js';

export function AgentsPage(props: { ctx: AccountContext; agents: Agent[] }): JSX.Element {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}`;
  return (
    <AccountPage ctx={ctx} title="Agents">
      <div class="section-head">
        <h1>Agents</h1>
        {ctx.can('change') ? (
          <div class="actions">
            <a class="button primary" href={`${base}/agents/new`}>
              New Agent
            </a>
          </div>
        ) : (
          ''
        )}
      </div>
      {props.agents.length === 0 ? (
        <p class="empty">No agents yet.</p>
      ) : (
        <table class="table">
          <caption class="visually-hidden">Agents of this account</caption>
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Status</th>
              <th scope="col">Variations</th>
              <th scope="col">Goals</th>
              <th scope="col">Last changed</th>
              <th scope="col">
                <span class="visually-hidden">Links</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.agents.map((a) => (
              <tr>
                <th scope="row" data-label="Agent">
                  <a href={`${base}/agents/${a.code}`} safe>
                    {a.name}
                  </a>{' '}
                  <code class="muted" safe>
                    {a.code}
                  </code>
                </th>
                <td data-label="Status">
                  <StatusMarker status={a.status} />
                </td>
                <td data-label="Variations" safe>
                  {a.variations.map((v) => `${v.code} (${v.weight})`).join(', ')}
                </td>
                <td data-label="Goals" safe>
                  {a.goals === null ? 'every goal' : a.goals.length === 0 ? 'none' : a.goals.join(', ')}
                </td>
                <td data-label="Last changed" safe>
                  {formatTime(a.updatedAt)}
                </td>
                <td class="row-actions">
                  <a class="button small" href={`${base}/reports/${a.code}`}>
                    Report<span class="visually-hidden" safe>{` of ${a.code}`}</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AccountPage>
  );
}

export function AgentPage(props: { ctx: AccountContext; agent?: Agent; goals: Goal[] }): JSX.Element {
  const { ctx, agent } = props;
  const base = `${CONSOLE}/${ctx.account.id}`;
  return (
    <AccountPage ctx={ctx} title={agent ? `Agent ${agent.code}` : 'New agent'}>
      <p class="breadcrumb">
        <a href={`${base}/agents`}>Agents</a>
      </p>
      {agent ? (
        <div class="section-head">
          <h1>
            <span safe>{agent.name}</span>{' '}
            <code class="muted" safe>
              {agent.code}
            </code>{' '}
            <StatusMarker status={agent.status} />
          </h1>
          <div class="actions">
            <a class="button" href={`${base}/reports/${agent.code}`}>
              Report
            </a>
          </div>
        </div>
      ) : (
        <h1>New agent</h1>
      )}
      {agent ? (
        <p class="hint" safe>
          {`Last changed ${formatTime(agent.updatedAt)}.`}
        </p>
      ) : (
        ''
      )}
      <AgentEditor
        ctx={ctx}
        draft={agent ?? NEW_AGENT}
        goals={props.goals}
        isNew={!agent}
        version={agent?.version}
      />
    </AccountPage>
  );
}
