/** QA: QA sessions of the deploy targets, and the playground (docs/targeting.md). */
import type { PreviewAnswer } from '../../runtime/runtime-service.js';
import type { DeployTarget } from '../../targets/deploy-targets.js';
import type { QaRequest, QaSession } from '../../targets/qa-sessions.js';
import type { AccountContext } from '../kit/context.js';
import { FormError } from '../kit/dialog.js';
import { CONSOLE, formatTime } from '../kit/html.js';
import { AccountPage } from '../kit/layout.js';

const POLICY_LABELS: Record<string, string> = {
  r: 'random',
  s: 'sticky',
  f: 'fixed',
  p: 'paused',
  x: 'none (left out)',
};

function TargetSelect(props: { id: string; targets: DeployTarget[] }): JSX.Element {
  return (
    <select id={props.id} name="deployTarget">
      {props.targets.map((d) => (
        <option value={d.id} safe>
          {`${d.name} (${d.kind}, ${d.id})`}
        </option>
      ))}
    </select>
  );
}

export function PlaygroundResult(props: { answer: PreviewAnswer }): JSX.Element {
  const { answer } = props;
  return (
    <div id="playground-result" class="stack">
      <p>
        Session <code safe>{answer.session}</code>
        {answer.qa ? ' (a QA session)' : ''}; traits:{' '}
        <span safe>{answer.traits.length === 0 ? 'none' : answer.traits.join(', ')}</span>. Nothing was
        written or counted.
      </p>
      <table class="table">
        <caption class="visually-hidden">Each agent's answer</caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Answer</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {answer.agents.map((e) => (
            <tr>
              <th scope="row" data-label="Agent">
                <code safe>{e.a}</code>
              </th>
              <td data-label="Answer" safe>
                {e.c === null ? 'no item' : `${e.c} · ${POLICY_LABELS[e.p ?? ''] ?? e.p}`}
              </td>
              <td data-label="Why">
                <ul class="plain-list">
                  {e.why.map((line) => (
                    <li safe>{line}</li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function itemText(item: unknown): string {
  const i = item as { a?: string; g?: string; c?: string; p?: string; rs?: unknown[] };
  if (i.a !== undefined) return `${i.a} → ${i.c ?? '?'} · ${POLICY_LABELS[i.p ?? ''] ?? i.p ?? ''}`;
  if (i.g !== undefined) return `${i.g}: ${(i.rs ?? []).length} credited`;
  return JSON.stringify(item);
}

function inputsText(inputs: Record<string, string>): string {
  const pairs = Object.entries(inputs).map(([k, v]) => `${k}=${v}`);
  return pairs.length > 0 ? ` · inputs ${pairs.join(', ')}` : '';
}

function commandText(command: unknown): string {
  const c = command as { a?: string; g?: string };
  return c.a ?? c.g ?? JSON.stringify(command);
}

/** A QA session's last requests, newest first, each with the engine's debug lines. */
function RecentRequests(props: { qa: QaSession; requests: QaRequest[]; targetName: string }): JSX.Element {
  const { qa, requests } = props;
  return (
    <details class="card qa-requests" id={`requests-${qa.code}`}>
      <summary>
        <h3>
          Recent requests of <code safe>{qa.code}</code>
        </h3>{' '}
        <span class="muted" safe>{`${qa.name} · ${requests.length} kept (at most 50)`}</span>
      </summary>
      {requests.length === 0 ? (
        <p class="empty" safe>{`No requests yet. Send the code as session on ${props.targetName}.`}</p>
      ) : (
        <ol class="plain-list stack">
          {requests.map((r) => (
            <li class="qa-request">
              <p>
                <strong safe>{formatTime(r.at)}</strong>{' '}
                <span class="muted" safe>
                  {`asked ${r.commands.map(commandText).join(', ') || 'nothing'}${inputsText(r.inputs)}`}
                </span>
              </p>
              <p safe>{`Answered: ${r.items.map(itemText).join('; ') || 'no item'}`}</p>
              <pre class="audit-change qa-log" safe>
                {r.log.join('\n')}
              </pre>
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}

export function QaPage(props: {
  ctx: AccountContext;
  sessions: QaSession[];
  targets: DeployTarget[];
  /** per QA session code, its kept requests */
  requests: Map<string, QaRequest[]>;
}): JSX.Element {
  const { ctx, targets } = props;
  const base = `${CONSOLE}/${ctx.account.id}/qa`;
  const canChange = ctx.can('change');
  const name = (id: string) => targets.find((d) => d.id === id)?.name ?? id;
  return (
    <AccountPage ctx={ctx} title="QA">
      <div class="section-head">
        <h1>QA</h1>
      </div>
      <p class="intro">
        A QA session is a session code to send as <code>session</code> on its deploy target: it sees the
        variations you force and the agents marked "QA sessions only", and nothing it does is counted.
      </p>
      <div class="stack">
        {props.sessions.length === 0 ? (
          <p class="empty">No QA sessions.</p>
        ) : (
          <table class="table">
            <caption class="visually-hidden">QA sessions</caption>
            <thead>
              <tr>
                <th scope="col">Session code</th>
                <th scope="col">Deploy target</th>
                <th scope="col">Forced</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.sessions.map((q) => (
                <tr id={`qa-${q.code}`}>
                  <th scope="row" data-label="Session code">
                    <code safe>{q.code}</code>{' '}
                    <span class="muted" safe>
                      {q.name}
                    </span>
                  </th>
                  <td data-label="Deploy target" safe>
                    {name(q.deployTarget)}
                  </td>
                  <td data-label="Forced" safe>
                    {Object.entries(q.forced)
                      .map(([a, c]) => `${a} → ${c}`)
                      .join(', ') || 'nothing'}
                  </td>
                  <td data-label="Expires" safe>
                    {formatTime(q.expiresAt)}
                  </td>
                  <td class="row-actions">
                    {canChange ? (
                      <button
                        type="button"
                        class="button small"
                        id={`forget-qa-${q.code}`}
                        hx-post={`${base}/${q.code}/forget`}
                        hx-confirm={`Forget the visitor of ${q.code}? Its selections, traits and eligibility are deleted: its next request starts as a new visitor.`}
                      >
                        Forget<span class="visually-hidden" safe>{` ${q.code}`}</span>
                      </button>
                    ) : (
                      ''
                    )}{' '}
                    {canChange ? (
                      <button
                        type="button"
                        class="button small danger"
                        id={`delete-qa-${q.code}`}
                        hx-post={`${base}/${q.code}/delete`}
                        hx-confirm={`Delete QA session ${q.code}? It becomes an ordinary, counted session.`}
                      >
                        Delete<span class="visually-hidden" safe>{` ${q.code}`}</span>
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
        {props.sessions.map((q) => (
          <RecentRequests
            qa={q}
            requests={props.requests.get(q.code) ?? []}
            targetName={name(q.deployTarget)}
          />
        ))}
        {canChange ? (
          <form id="qa-new" class="card stack" hx-post={base} hx-swap="none">
            <h2>New QA session</h2>
            <label for="qa-target">Deploy target</label>
            <TargetSelect id="qa-target" targets={targets} />
            <label for="qa-name">Name</label>
            <input id="qa-name" name="name" type="text" maxlength="100" placeholder="QA session" />
            <label for="qa-forced">Forced variations (agent=variation, one a line)</label>
            <textarea id="qa-forced" name="forced" rows="3" placeholder="a-hero=B"></textarea>
            <label for="qa-hours">Expires after (hours, at most 720)</label>
            <input id="qa-hours" name="hours" type="number" min="0.02" max="720" step="any" value="24" />
            <FormError />
            <div class="form-actions">
              <button type="submit" class="button primary">
                Create QA session
              </button>
            </div>
          </form>
        ) : (
          ''
        )}
        <form
          id="playground"
          class="card stack"
          hx-post={`${base}/playground`}
          hx-target="#playground-result"
          hx-swap="outerHTML"
        >
          <h2>Playground</h2>
          <p class="hint">
            What a target's deployed agents answer a session, with why. Nothing is written or counted.
          </p>
          <label for="play-target">Deploy target</label>
          <TargetSelect id="play-target" targets={targets} />
          <label for="play-session">Session (empty: a new visitor; a QA code: that QA session)</label>
          <input id="play-session" name="session" type="text" maxlength="256" />
          <label for="play-inputs">Inputs (name=value, one a line)</label>
          <textarea id="play-inputs" name="inputs" rows="3" placeholder="plan=pro"></textarea>
          <label for="play-traits">Traits (GROUP:VALUE, comma-separated)</label>
          <input id="play-traits" name="traits" type="text" placeholder="F:1" />
          <label for="play-at">At (UTC; empty: now)</label>
          <input id="play-at" name="at" type="text" placeholder="2026-12-05T18:30" maxlength="40" />
          <FormError />
          <div class="form-actions">
            <button type="submit" class="button primary">
              Evaluate
            </button>
          </div>
        </form>
        <div id="playground-result"></div>
      </div>
    </AccountPage>
  );
}
