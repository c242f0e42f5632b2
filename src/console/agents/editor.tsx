/**
 * The agent editor. It needs no script: it shows every variation, metadata key and condition with
 * a couple of blank rows to fill in; blank rows are ignored, and saving shows fresh blank rows. It
 * is shown disabled, without its Save button, to those who may not change agents.
 *
 * Over 400 lines on purpose: one form, whose fields must match the form parser in forms.ts field
 * by field; kept whole so the two can be read side by side.
 */
import { AGENT_STATUSES } from '../../agents/agents.js';
import type { Goal } from '../../agents/goals.js';
import {
  type ConditionClause,
  type Eligibility,
  type Exclusion,
  RULE_OPS,
  type RuleMatch,
} from '../../agents/snapshot.js';
import type { AccountContext } from '../kit/context.js';
import { FormError } from '../kit/dialog.js';
import { CONSOLE } from '../kit/html.js';
import { STATUS_HINTS, STATUS_LABELS } from './status.js';

const BLANK_VARIATIONS = 2;

const BLANK_META_KEYS = 2;

const BLANK_CONDITIONS = 1;

const BLANK_CLAUSES = 1;

/** What the editor shows: an agent, or the start of a new one. */
export interface Draft {
  code: string;
  name: string;
  status: string;
  pausedAt: string | null;
  metaKeys: string[];
  variations: { code: string; name?: string; weight: number; meta: Record<string, string> }[];
  conditions: { when: ConditionClause[]; match?: RuleMatch; then: string }[];
  goals: string[] | null;
  eligibility?: Eligibility;
  exclusion?: Exclusion;
  qaOnly?: true;
  /** absent: random */
  allocation?: 'adaptive';
}

export const NEW_AGENT: Draft = {
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

interface ClauseParts {
  kind: 'input' | 'trait' | 'visitor';
  name: string;
  /** absent: the first forms (equals, has trait) */
  op?: string;
  value: string;
}

/** A trait clause shown as name and value (`cust/F` and `1`), as the form takes it back. */
function clauseParts(clause: ConditionClause): ClauseParts {
  if ('op' in clause) {
    const name = clause.input ?? clause.trait ?? clause.visitor ?? '';
    const kind = clause.input !== undefined ? 'input' : clause.trait !== undefined ? 'trait' : 'visitor';
    return {
      kind,
      name,
      op: clause.op,
      value: clause.values ? clause.values.join(', ') : (clause.value ?? ''),
    };
  }
  if ('input' in clause) return { kind: 'input', name: clause.input, value: clause.is };
  const at = clause.trait.indexOf(':');
  return at < 0
    ? { kind: 'trait', name: clause.trait, value: '' }
    : { kind: 'trait', name: clause.trait.slice(0, at), value: clause.trait.slice(at + 1) };
}

const OP_LABELS: Record<(typeof RULE_OPS)[number], string> = {
  eq: 'equals',
  neq: 'not equals',
  in: 'one of (a, b)',
  contains: 'contains',
  startsWith: 'starts with',
  lt: '<',
  lte: '≤',
  gt: '>',
  gte: '≥',
  exists: 'exists',
  notExists: 'does not exist',
};

/** One clause: subject kind, name, operator and value; "=" is the first form (equals, or has the trait). */
function ClauseRow(props: { prefix: string; label: string; parts?: ClauseParts }): JSX.Element {
  const { prefix, label, parts } = props;
  return (
    <div class="clause">
      <select name={`${prefix}.kind`} aria-label={`${label}: kind`}>
        <option value="input" selected={parts === undefined || parts.kind === 'input'}>
          Input
        </option>
        <option value="trait" selected={parts?.kind === 'trait'}>
          Trait
        </option>
        <option value="visitor" selected={parts?.kind === 'visitor'}>
          Visitor
        </option>
      </select>
      <input
        type="text"
        name={`${prefix}.name`}
        value={parts?.name}
        placeholder="name"
        aria-label={`${label}: name`}
      />
      <select name={`${prefix}.op`} aria-label={`${label}: operator`}>
        <option value="" selected={parts?.op === undefined}>
          =
        </option>
        {RULE_OPS.map((op) => (
          <option value={op} selected={parts?.op === op} safe>
            {OP_LABELS[op]}
          </option>
        ))}
      </select>
      <input
        type="text"
        name={`${prefix}.value`}
        value={parts?.value}
        placeholder="value"
        aria-label={`${label}: value`}
      />
    </div>
  );
}

function MatchSelect(props: { name: string; label: string; value?: RuleMatch }): JSX.Element {
  return (
    <label class="then">
      <span safe>{props.label}</span>
      <select name={props.name}>
        <option value="all" selected={props.value !== 'any'}>
          all must hold
        </option>
        <option value="any" selected={props.value === 'any'}>
          any may hold
        </option>
      </select>
    </label>
  );
}

export function AgentEditor(props: {
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
  const eligibilityRows = [
    ...(draft.eligibility?.rules ?? []),
    ...Array.from({ length: BLANK_CLAUSES }, () => undefined),
  ];
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
          <fieldset>
            <legend>Allocation</legend>
            <label class="choice">
              <input
                type="radio"
                name="allocation"
                value="random"
                checked={draft.allocation !== 'adaptive'}
              />
              <span>
                <strong>Random</strong>{' '}
                <span class="hint">by the weights of the variations, as set below</span>
              </span>
            </label>
            <label class="choice">
              <input
                type="radio"
                name="allocation"
                value="adaptive"
                checked={draft.allocation === 'adaptive'}
              />
              <span>
                <strong>Adaptive</strong>{' '}
                <span class="hint">
                  more new sessions to the variation converting best on the first tracked goal, learned on a
                  schedule; each keeps at least 5%, and a weight of 0 still keeps a variation out
                </span>
              </span>
            </label>
          </fieldset>
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
            Tried in order; the first whose clauses all hold (or one, with "any") answers its variation
            (policy "f"). A condition with no clause always holds. "=" is the first form (an input equals, or
            the session has the trait); the other operators are described in the targeting docs. An input is
            sent in the request's <code>inputs</code>; a trait is like <code>cust/F</code> = <code>1</code>{' '}
            (from <code>traits=F:1</code>) or <code>ua/mo</code> = <code>y</code>.
          </p>
          {conditionRows.map((c, i) => {
            const clauses = [...(c?.when ?? []), ...Array.from({ length: BLANK_CLAUSES }, () => undefined)];
            return (
              <fieldset class="condition">
                <legend safe>{c === undefined ? `New condition` : `Condition ${i + 1}`}</legend>
                {clauses.map((clause, k) => (
                  <ClauseRow
                    prefix={`c${i}.w${k}`}
                    label={`Condition ${i + 1}, clause ${k + 1}`}
                    parts={clause === undefined ? undefined : clauseParts(clause)}
                  />
                ))}
                <MatchSelect
                  name={`c${i}.match`}
                  label={`Condition ${i + 1}: combine clauses`}
                  value={c?.match}
                />
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

        <div class="card stack" id="aiming">
          <h2>Who takes part</h2>
          <p class="hint">
            Eligibility: sessions for which these rules do not hold get the paused-at (or first) variation
            with policy "x", not counted. Decided once per session. No rule: everyone takes part. Weekday and
            hour are in UTC.
          </p>
          {eligibilityRows.map((clause, k) => (
            <ClauseRow
              prefix={`e.w${k}`}
              label={`Eligibility rule ${k + 1}`}
              parts={clause === undefined ? undefined : clauseParts(clause)}
            />
          ))}
          <MatchSelect name="e.match" label="Eligibility: combine rules" value={draft.eligibility?.match} />
          <label class="choice">
            <input type="checkbox" name="qaOnly" checked={draft.qaOnly === true} />
            <span>
              <strong>QA sessions only</strong>{' '}
              <span class="hint">answers nothing to anyone but QA sessions (see QA)</span>
            </span>
          </label>
          <h3>Mutual exclusion</h3>
          <p class="hint">
            Agents sharing a group name take each session in at most one of them, in the share of their
            weights; the others answer policy "x". Placed sessions stay where they are when weights change.
          </p>
          <div class="grid-2">
            <label class="stack-label">
              <span>Exclusion group</span>
              <input
                type="text"
                name="x.group"
                value={draft.exclusion?.group}
                maxlength="64"
                placeholder="none"
                pattern="[A-Za-z0-9_\-]+"
              />
            </label>
            <label class="stack-label">
              <span>Weight in the group</span>
              <input
                type="number"
                name="x.weight"
                value={draft.exclusion === undefined ? '' : String(draft.exclusion.weight)}
                min="0"
                step="any"
                placeholder="1"
              />
            </label>
          </div>
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
