/**
 * Agents and Goals. Everyone reads; Agent Authors and above change (the form is shown disabled,
 * without its Save button, to those who may not). An agent is edited whole, like the Admin API's
 * PUT: the form is turned into the same input and goes through services.agents, which checks it.
 *
 * The editor needs no script: it shows every variation, metadata key and condition with a couple
 * of blank rows to fill in; blank rows are ignored, and saving shows fresh blank rows.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AGENT_STATUSES, type Agent, type AgentInput } from '../agents/agents.js';
import type { Goal } from '../agents/goals.js';
import type { ConditionClause } from '../agents/snapshot.js';
import { InvalidInputError } from '../kernel/errors.js';
import { auditActor } from '../web/actor.js';
import type { Services } from '../web/services.js';
import { type AccountContext, accountContext } from './context.js';
import { CONSOLE, formatTime, isHtmx, sendHtml } from './html.js';
import { AccountPage, CancelButton, CloseModal, Dialog, Flash, FormError } from './layout.js';

const STATUS_LABELS: Record<string, string> = {
  running: 'Running',
  paused: 'Paused',
  stopped: 'Stopped',
  archived: 'Archived',
};

const STATUS_HINTS: Record<string, string> = {
  running: 'selects variations and counts sessions',
  paused: 'always answers the "paused at" variation, not counted',
  stopped: 'answers nothing (clients use their default)',
  archived: 'answers nothing, kept for its reports',
};

export function StatusMarker(props: { status: string }): JSX.Element {
  return (
    <span class={`tag status-${props.status}`} safe>
      {STATUS_LABELS[props.status] ?? props.status}
    </span>
  );
}

/** Form fields as the form body gives them: one string, or several for repeated names. */
type FormBody = Record<string, string | string[] | undefined>;

const field = (body: FormBody, name: string): string => {
  const value = body[name];
  return (Array.isArray(value) ? (value[0] ?? '') : (value ?? '')).trim();
};
const fields = (body: FormBody, name: string): string[] => {
  const value = body[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v) => v !== '');
};

const BLANK_VARIATIONS = 2;
const BLANK_META_KEYS = 2;
const BLANK_CONDITIONS = 1;
const BLANK_CLAUSES = 1;

/** What the editor shows: an agent, or the start of a new one. */
interface Draft {
  code: string;
  name: string;
  status: string;
  pausedAt: string | null;
  metaKeys: string[];
  variations: { code: string; name?: string; weight: number; meta: Record<string, string> }[];
  conditions: { when: ConditionClause[]; then: string }[];
  goals: string[] | null;
}

const NEW_AGENT: Draft = {
  code: '',
  name: '',
  status: 'running',
  pausedAt: null,
  metaKeys: [],
  variations: [
    { code: 'A', name: 'Control', weight: 1, meta: {} },
    { code: 'B', weight: 1, meta: {} },
  ],
  conditions: [],
  goals: null,
};

/**
 * Turns the editor's fields into the agent input of the Admin API. Only what the form cannot say
 * (a half-filled row) is refused here; everything else is checked by services.agents.
 */
export function agentInputFromForm(body: FormBody): AgentInput {
  const metaKeys: { index: number; key: string }[] = [];
  for (let j = 0; j < 200 && `mk${j}` in body; j++) {
    const key = field(body, `mk${j}`);
    if (key !== '') metaKeys.push({ index: j, key });
  }

  const variations: AgentInput['variations'] = [];
  for (let i = 0; i < 200 && `v${i}.code` in body; i++) {
    const code = field(body, `v${i}.code`);
    const name = field(body, `v${i}.name`);
    const weightText = field(body, `v${i}.weight`);
    const meta: Record<string, string> = {};
    for (const { index, key } of metaKeys) {
      const value = field(body, `v${i}.meta.${index}`);
      if (value !== '') meta[key] = value;
    }
    if (code === '') {
      if (name !== '' || Object.keys(meta).length > 0) {
        throw new InvalidInputError(`variations.${i}.code`, `Variation row ${i + 1} needs a code (like C).`);
      }
      continue;
    }
    const weight = weightText === '' ? 1 : Number(weightText);
    if (!Number.isFinite(weight)) {
      throw new InvalidInputError(
        `variations.${i}.weight`,
        `The weight of ${code} must be a number, 0 or more.`,
      );
    }
    variations.push({ code, ...(name === '' ? {} : { name }), weight, meta });
  }

  const conditions: { when: ConditionClause[]; then: string }[] = [];
  for (let i = 0; i < 500 && `c${i}.then` in body; i++) {
    const then = field(body, `c${i}.then`);
    const when: ConditionClause[] = [];
    for (let k = 0; k < 50 && `c${i}.w${k}.name` in body; k++) {
      const kind = field(body, `c${i}.w${k}.kind`);
      const name = field(body, `c${i}.w${k}.name`);
      const value = field(body, `c${i}.w${k}.value`);
      if (name === '' && value === '') continue;
      if (kind === 'trait') when.push({ trait: value === '' ? name : `${name}:${value}` });
      else when.push({ input: name, is: value });
    }
    if (then === '') {
      if (when.length > 0) {
        throw new InvalidInputError(
          `conditions.${i}.then`,
          `Condition ${i + 1} needs a variation to answer.`,
        );
      }
      continue;
    }
    conditions.push({ when, then });
  }

  const pausedAt = field(body, 'pausedAt');
  return {
    name: field(body, 'name') || undefined,
    status: field(body, 'status') as AgentInput['status'],
    pausedAt: pausedAt === '' ? null : pausedAt,
    metaKeys: metaKeys.map((m) => m.key),
    variations,
    conditions,
    goals: field(body, 'goalsMode') === 'some' ? fields(body, 'goals') : null,
  };
}

/** A trait clause shown as name and value (`cust/F` and `1`), as the form takes it back. */
function clauseParts(clause: ConditionClause): { kind: 'input' | 'trait'; name: string; value: string } {
  if ('input' in clause) return { kind: 'input', name: clause.input, value: clause.is };
  const at = clause.trait.indexOf(':');
  return at < 0
    ? { kind: 'trait', name: clause.trait, value: '' }
    : { kind: 'trait', name: clause.trait.slice(0, at), value: clause.trait.slice(at + 1) };
}

function AgentEditor(props: {
  ctx: AccountContext;
  draft: Draft;
  goals: Goal[];
  isNew: boolean;
  version?: number;
}): JSX.Element {
  const { ctx, draft, isNew } = props;
  const base = `${CONSOLE}/${ctx.account.id}/agents`;
  const canChange = ctx.can('change');
  const variationRows = [...draft.variations, ...Array.from({ length: BLANK_VARIATIONS }, () => undefined)];
  const metaKeyRows = [...draft.metaKeys, ...Array.from({ length: BLANK_META_KEYS }, () => '')];
  const conditionRows = [...draft.conditions, ...Array.from({ length: BLANK_CONDITIONS }, () => undefined)];
  const codes = draft.variations.map((v) => v.code);
  return (
    <form
      id="agent-editor"
      class="stack"
      hx-post={isNew ? base : `${base}/${draft.code}`}
      hx-target="#agent-editor"
      hx-swap="outerHTML"
    >
      <fieldset disabled={!canChange} class="plain">
        <div class="card stack">
          <h2>Basics</h2>
          {isNew ? (
            <>
              <label for="agent-code">Code</label>
              <input
                id="agent-code"
                name="code"
                type="text"
                required
                maxlength="100"
                pattern="a-[A-Za-z0-9_\-]+"
                placeholder="a-checkout-button"
                aria-describedby="agent-code-hint"
              />
              <span class="hint" id="agent-code-hint">
                a- followed by letters, digits, - or _. Your code uses it; it cannot be changed later.
              </span>
            </>
          ) : (
            ''
          )}
          <label for="agent-name">Name</label>
          <input id="agent-name" name="name" type="text" maxlength="100" value={draft.name} />
          <fieldset>
            <legend>Status</legend>
            {AGENT_STATUSES.map((status) => (
              <label class="choice">
                <input type="radio" name="status" value={status} checked={draft.status === status} />
                <span>
                  <strong safe>{STATUS_LABELS[status]}</strong>{' '}
                  <span class="hint" safe>
                    {STATUS_HINTS[status]}
                  </span>
                </span>
              </label>
            ))}
          </fieldset>
          <label for="agent-paused-at">Paused at</label>
          <select id="agent-paused-at" name="pausedAt">
            <option value="" selected={draft.pausedAt === null}>
              The first variation
            </option>
            {codes.map((code) => (
              <option value={code} selected={draft.pausedAt === code} safe>
                {code}
              </option>
            ))}
          </select>
        </div>

        <div class="card stack">
          <h2>Metadata keys</h2>
          <p class="hint">
            Every answer carries each key (as <code>md</code>), with this variation's value or "". Values are
            set per variation below; a new key gets its column once saved.
          </p>
          <div class="grid-2">
            {metaKeyRows.map((key, j) => (
              <label class="stack-label">
                <span class="visually-hidden" safe>{`Metadata key ${j + 1}`}</span>
                <input type="text" name={`mk${j}`} value={key} maxlength="100" placeholder="new key" />
              </label>
            ))}
          </div>
        </div>

        <div class="card stack">
          <h2>Variations</h2>
          <p class="hint">
            The first variation is the baseline of reports. Weights share random allocation; 0 keeps a
            variation out of it (a condition can still choose it). Leave a row's code empty to ignore or
            remove it.
          </p>
          <div class="table-scroll">
            <table class="table keep-table editor-table">
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col">Name</th>
                  <th scope="col">Weight</th>
                  {draft.metaKeys.map((key) => (
                    <th scope="col" safe>
                      {key}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {variationRows.map((v, i) => (
                  <tr>
                    <td>
                      <input
                        type="text"
                        name={`v${i}.code`}
                        value={v?.code}
                        maxlength="64"
                        aria-label={`Variation ${i + 1} code`}
                        class="short"
                      />
                    </td>
                    <td>
                      <input
                        type="text"
                        name={`v${i}.name`}
                        value={v?.name}
                        maxlength="100"
                        aria-label={`Variation ${i + 1} name`}
                      />
                    </td>
                    <td>
                      <input
                        type="number"
                        name={`v${i}.weight`}
                        value={v === undefined ? '' : String(v.weight)}
                        min="0"
                        step="any"
                        aria-label={`Variation ${i + 1} weight`}
                        class="short"
                      />
                    </td>
                    {draft.metaKeys.map((key, j) => (
                      <td>
                        <input
                          type="text"
                          name={`v${i}.meta.${j}`}
                          value={v?.meta[key]}
                          aria-label={`Variation ${i + 1} ${key}`}
                        />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>

        <div class="card stack">
          <h2>Conditions</h2>
          <p class="hint">
            Tried in order; the first whose clauses all hold answers its variation (policy "f"). A condition
            with no clause always holds. An input is sent in the request's <code>inputs</code>; a trait is
            like <code>cust/F</code> = <code>1</code> (from <code>traits=F:1</code>) or <code>ua/mo</code> ={' '}
            <code>y</code>.
          </p>
          {conditionRows.map((c, i) => {
            const clauses = [...(c?.when ?? []), ...Array.from({ length: BLANK_CLAUSES }, () => undefined)];
            return (
              <fieldset class="condition">
                <legend safe>{c === undefined ? `New condition` : `Condition ${i + 1}`}</legend>
                {clauses.map((clause, k) => {
                  const parts = clause === undefined ? undefined : clauseParts(clause);
                  return (
                    <div class="clause">
                      <select
                        name={`c${i}.w${k}.kind`}
                        aria-label={`Condition ${i + 1}, clause ${k + 1}: kind`}
                      >
                        <option value="input" selected={parts?.kind !== 'trait'}>
                          Input
                        </option>
                        <option value="trait" selected={parts?.kind === 'trait'}>
                          Trait
                        </option>
                      </select>
                      <input
                        type="text"
                        name={`c${i}.w${k}.name`}
                        value={parts?.name}
                        placeholder="name"
                        aria-label={`Condition ${i + 1}, clause ${k + 1}: name`}
                      />
                      <span aria-hidden="true">=</span>
                      <input
                        type="text"
                        name={`c${i}.w${k}.value`}
                        value={parts?.value}
                        placeholder="value"
                        aria-label={`Condition ${i + 1}, clause ${k + 1}: value`}
                      />
                    </div>
                  );
                })}
                <label class="then">
                  <span>Then answer</span>
                  <select name={`c${i}.then`}>
                    <option value="" selected={c === undefined}>
                      — (no condition)
                    </option>
                    {codes.map((code) => (
                      <option value={code} selected={c?.then === code} safe>
                        {code}
                      </option>
                    ))}
                  </select>
                </label>
              </fieldset>
            );
          })}
        </div>

        <div class="card stack">
          <h2>Goals</h2>
          <label class="choice">
            <input type="radio" name="goalsMode" value="all" checked={draft.goals === null} />
            <span>Every goal of the account</span>
          </label>
          <label class="choice">
            <input type="radio" name="goalsMode" value="some" checked={draft.goals !== null} />
            <span>Only these goals:</span>
          </label>
          {props.goals.length === 0 ? (
            <p class="hint">
              There is no goal yet: <a href={`${CONSOLE}/${ctx.account.id}/goals`}>create one</a>.
            </p>
          ) : (
            <div class="grid-2">
              {props.goals.map((g) => (
                <label class="choice">
                  <input
                    type="checkbox"
                    name="goals"
                    value={g.code}
                    checked={draft.goals?.includes(g.code) ?? false}
                  />
                  <span>
                    <span safe>{g.name}</span>{' '}
                    <code class="muted" safe>
                      {g.code}
                    </code>
                  </span>
                </label>
              ))}
            </div>
          )}
        </div>
      </fieldset>
      <FormError />
      {canChange ? (
        <div class="form-actions">
          <button type="submit" class="button primary">
            {isNew ? 'Create agent' : 'Save agent'}
          </button>
          {props.version === undefined ? '' : <span class="hint" safe>{`Version ${props.version}`}</span>}
        </div>
      ) : (
        ''
      )}
    </form>
  );
}

function AgentPage(props: { ctx: AccountContext; agent?: Agent; goals: Goal[] }): JSX.Element {
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

function AgentsPage(props: { ctx: AccountContext; agents: Agent[] }): JSX.Element {
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

/* ---------- goals ---------- */

function GoalsPanel(props: { ctx: AccountContext; goals: Goal[]; agents: Agent[]; highlight?: string }) {
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

function GoalsPage(props: { ctx: AccountContext; goals: Goal[]; agents: Agent[]; modal?: JSX.Element }) {
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

function GoalDialog(props: { base: string; goal?: Goal }): JSX.Element {
  const { goal } = props;
  return (
    <Dialog id="goal-dialog" title={goal ? `Edit goal: ${goal.code}` : 'New Goal'}>
      <form
        hx-post={goal ? `${props.base}/${goal.code}` : props.base}
        hx-target="#goals-panel"
        hx-swap="outerHTML"
        class="stack"
      >
        {goal ? (
          ''
        ) : (
          <>
            <label for="goal-code">Code</label>
            <input
              id="goal-code"
              name="code"
              type="text"
              required
              maxlength="100"
              pattern="g-[A-Za-z0-9_\-]+"
              placeholder="g-signed-up"
            />
          </>
        )}
        <label for="goal-name">Name</label>
        <input id="goal-name" name="name" type="text" maxlength="100" value={goal?.name} />
        <label for="goal-value">Default value</label>
        <input id="goal-value" name="value" type="number" step="any" value={String(goal?.value ?? 1)} />
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            {goal ? 'Save' : 'Create'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteGoalDialog(props: { base: string; goal: Goal }): JSX.Element {
  return (
    <Dialog id="delete-goal" title="Delete this goal?">
      <p>
        <strong safe>{props.goal.name}</strong> <code safe>{props.goal.code}</code>
      </p>
      <p class="warning" role="note">
        Rewards for it will credit nothing once deployed. Its past conversions stay in reports.
      </p>
      <form hx-post={`${props.base}/${props.goal.code}/delete`} hx-target="#goals-panel" hx-swap="outerHTML">
        <FormError />
        <div class="dialog-actions">
          <CancelButton label="Keep it" />
          <button type="submit" class="button danger">
            Delete goal
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/* ---------- routes ---------- */

const Params = z.object({ acc: z.string().min(1).max(64) });
const AgentParams = Params.extend({ a: z.string().min(1).max(100) });
const GoalParams = Params.extend({ g: z.string().min(1).max(100) });
const FormBodySchema = z.record(
  z.string().max(200),
  z.union([z.string().max(10_000), z.array(z.string().max(10_000)).max(1000)]),
);
const GoalForm = z.object({
  code: z.string().max(100).optional(),
  name: z.string().max(200).optional(),
  value: z.string().max(50).optional(),
});

function goalInput(body: z.infer<typeof GoalForm>) {
  const text = body.value?.trim() ?? '';
  const value = text === '' ? 1 : Number(text);
  if (!Number.isFinite(value)) throw new InvalidInputError('value', 'The default value must be a number.');
  return { name: body.name?.trim() || undefined, value };
}

export function registerAgentPages(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const hide = true;
  const read = { config: { permission: 'read' } } as const;
  const change = { config: { permission: 'change' } } as const;

  app.get('/:acc', { ...read, schema: { params: Params, hide } }, async (request, reply) => {
    return reply.redirect(`${CONSOLE}/${request.params.acc}/agents`, 303);
  });

  app.get('/:acc/agents', { ...read, schema: { params: Params, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <AgentsPage ctx={ctx} agents={await services.agents.list(ctx.account.id)} />);
  });

  app.get('/:acc/agents/new', { ...change, schema: { params: Params, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <AgentPage ctx={ctx} goals={await services.goals.list(ctx.account.id)} />);
  });

  app.get('/:acc/agents/:a', { ...read, schema: { params: AgentParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    const [agent, goals] = await Promise.all([
      services.agents.get(ctx.account.id, request.params.a),
      services.goals.list(ctx.account.id),
    ]);
    return sendHtml(reply, <AgentPage ctx={ctx} agent={agent} goals={goals} />);
  });

  app.post(
    '/:acc/agents',
    { ...change, schema: { params: Params, body: FormBodySchema, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const code = typeof request.body.code === 'string' ? request.body.code.trim() : '';
      const existing = await services.agents.list(ctx.account.id);
      if (existing.some((a) => a.code === code)) {
        throw new InvalidInputError('code', `There is already an agent ${code}; choose another code.`);
      }
      const { agent } = await services.agents.put(
        ctx.account.id,
        code,
        agentInputFromForm(request.body),
        auditActor(request),
      );
      const target = `${CONSOLE}/${ctx.account.id}/agents/${agent.code}`;
      if (isHtmx(request)) {
        reply.header('hx-redirect', target);
        return reply.code(204).send();
      }
      return reply.redirect(target, 303);
    },
  );

  app.post(
    '/:acc/agents/:a',
    { ...change, schema: { params: AgentParams, body: FormBodySchema, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      // Editing is for agents that exist; creating goes through the New Agent page.
      await services.agents.get(ctx.account.id, request.params.a);
      const { agent } = await services.agents.put(
        ctx.account.id,
        request.params.a,
        agentInputFromForm(request.body),
        auditActor(request),
      );
      const goals = await services.goals.list(ctx.account.id);
      return sendHtml(
        reply,
        <>
          <AgentEditor ctx={ctx} draft={agent} goals={goals} isNew={false} version={agent.version} />
          <Flash message={`Saved ${agent.code} (version ${agent.version}).`} />
        </>,
      );
    },
  );

  /* goals */
  async function goalsData(accountId: string) {
    const [goals, agents] = await Promise.all([
      services.goals.list(accountId),
      services.agents.list(accountId),
    ]);
    return { goals, agents };
  }

  async function goalsDialog(
    request: FastifyRequest,
    reply: FastifyReply,
    ctx: AccountContext,
    dialog: JSX.Element,
  ) {
    if (isHtmx(request)) return sendHtml(reply, dialog);
    return sendHtml(reply, <GoalsPage ctx={ctx} {...(await goalsData(ctx.account.id))} modal={dialog} />);
  }

  async function goalsChanged(reply: FastifyReply, ctx: AccountContext, message: string, highlight?: string) {
    return sendHtml(
      reply,
      <>
        <GoalsPanel ctx={ctx} {...(await goalsData(ctx.account.id))} highlight={highlight} />
        <CloseModal />
        <Flash message={message} />
      </>,
    );
  }

  const goalsBase = (ctx: AccountContext) => `${CONSOLE}/${ctx.account.id}/goals`;

  app.get('/:acc/goals', { ...read, schema: { params: Params, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <GoalsPage ctx={ctx} {...(await goalsData(ctx.account.id))} />);
  });

  app.get('/:acc/goals/new', { ...change, schema: { params: Params, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return goalsDialog(request, reply, ctx, <GoalDialog base={goalsBase(ctx)} />);
  });

  app.post(
    '/:acc/goals',
    { ...change, schema: { params: Params, body: GoalForm, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const code = request.body.code?.trim() ?? '';
      if ((await services.goals.list(ctx.account.id)).some((g) => g.code === code)) {
        throw new InvalidInputError('code', `There is already a goal ${code}; choose another code.`);
      }
      const { goal } = await services.goals.put(
        ctx.account.id,
        code,
        goalInput(request.body),
        auditActor(request),
      );
      return goalsChanged(reply, ctx, `Created goal ${goal.code}.`, goal.code);
    },
  );

  app.get('/:acc/goals/:g', { ...read, schema: { params: GoalParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    const goal = await services.goals.get(ctx.account.id, request.params.g);
    if (!ctx.can('change')) {
      // Nothing to edit for a reader: the goal in the list says it all.
      return reply.redirect(`${goalsBase(ctx)}#goal-${goal.code}`, 303);
    }
    return goalsDialog(request, reply, ctx, <GoalDialog base={goalsBase(ctx)} goal={goal} />);
  });

  app.post(
    '/:acc/goals/:g',
    { ...change, schema: { params: GoalParams, body: GoalForm, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      await services.goals.get(ctx.account.id, request.params.g);
      const { goal } = await services.goals.put(
        ctx.account.id,
        request.params.g,
        goalInput(request.body),
        auditActor(request),
      );
      return goalsChanged(reply, ctx, `Saved goal ${goal.code}.`, goal.code);
    },
  );

  app.get(
    '/:acc/goals/:g/delete',
    { ...change, schema: { params: GoalParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const goal = await services.goals.get(ctx.account.id, request.params.g);
      return goalsDialog(request, reply, ctx, <DeleteGoalDialog base={goalsBase(ctx)} goal={goal} />);
    },
  );

  app.post(
    '/:acc/goals/:g/delete',
    { ...change, schema: { params: GoalParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const goal = await services.goals.remove(ctx.account.id, request.params.g, auditActor(request));
      return goalsChanged(reply, ctx, `Deleted goal ${goal.code}.`);
    },
  );
}
