/**
 * The runtime decision engine: given a deployed snapshot, a visitor's state and one request's
 * commands, it answers the items of the Conductrics v3 agent-api (PRODUCT.md section 3.1) and
 * the visitor's new state. Pure, synchronous and deterministic: no I/O, no clock, no randomness
 * and no Node built-ins, because the browser script tag bundles this very file and must decide
 * exactly as the server does.
 *
 * Decisions taken where the spec is silent (a Conductrics client's expectations in mind):
 *
 * 1. A selection command without `s` means `s: "ok"` (Conductrics' default status). So a plain
 *    `{"a"}` on a provisional selection confirms it, exactly as `{"a", "s": "ok"}` does.
 * 2. `c: []` (an empty allow-list) is the same as no `c` at all: no restriction. Codes in `c` or
 *    `x` that are not variations of the agent match nothing: `c: ["Z"]` allows no variation (so
 *    the answer is `p: "x"`), `x: ["Z"]` excludes none.
 * 3. A sticky answer keeps the stored status: `{"s": "p"}` on a confirmed selection answers
 *    `s: "ok"`; a confirmation of a provisional selection answers `p: "s"`, `s: "ok"` and is
 *    when the selection event is emitted (exactly once per session and agent).
 * 4. If the stored selection's variation was removed from the agent or is excluded by this
 *    command's `c` / `x`, a fresh decision is made (conditions, then random). A provisional
 *    stored selection is replaced by it (and counted if this command confirms). A confirmed one
 *    is NOT replaced: the session stays counted once, in its original variation, which rewards
 *    keep crediting; the fresh answer is given with `s: "ok"` but not remembered, no event.
 * 5. `p: "x"` (nothing can be chosen: all excluded by `c` / `x`, or of weight 0) answers the
 *    agent's first variation, the control a client falls back to, with `s: "ok"` whatever `s` was
 *    asked (nothing is held provisionally).
 *    `p: "x"` and `p: "p"` (paused) answers never touch the state: a
 *    stored selection, provisional or not, is kept as it was. An agent with no variations at all
 *    answers no item (there is no variation to fall back to), like an unknown agent. A paused
 *    agent whose `pausedAt` is not one of its variations answers its first variation.
 * 6. An agent whose status is none of the four known ones is treated as stopped (no item).
 * 7. Rewards list the credited agents in the order this session first got a selection from
 *    them. The selected variation is credited even if it was later removed from the agent.
 *    `v` must be a finite number, otherwise the goal's value is used (1 if that is not finite).
 *    A credit of value 0 (`"v": 0`) still uses the goal up for that agent. Two rewards of the
 *    same goal in one request: the second answers 0.
 * 8. Traits: query traits are trimmed, split at the first `:`, and kept only when both parts are
 *    non-empty (so `F:1:2` is group `F`, value `1:2`). `ua/mo:y` and `ua/mo:n` exclude each
 *    other: a new one replaces the old in the session (the device changed). Every trait that
 *    this request applies is logged `Added trait '…' (apply)`, even when the session already had
 *    it (the session just keeps one copy). Traits are applied before the first command runs, so
 *    every command's conditions see them. A session keeps its last `MAX_SESSION_TRAITS` (100)
 *    distinct traits: a new one beyond that drops the oldest, so no caller can grow a session's
 *    state (and every later answer of it) without bound.
 * 9. Conditions: an `input` clause holds when the input is present and equal (inputs sent as
 *    numbers or booleans are compared by their string form); a malformed clause never holds; a
 *    condition whose `when` is not a list never holds. A condition that holds but names a
 *    variation that is missing or excluded by `c` / `x` is passed over; the next one is tried.
 * 10. A command that is an object with a string `a` is a selection (even if it also has `g`);
 *    otherwise one with a string `g` is a reward; anything else is skipped (logged with debug).
 *    Malformed `c` / `x` (not lists) are ignored; non-string entries in them are ignored; an `s`
 *    other than `"p"` means `"ok"`.
 * 11. Aiming (docs/targeting.md, runtime/aiming.ts): clauses with `op`, conditions with
 *    `match: "any"`, eligibility, exclusion groups, custom traits and QA sessions. An agent that
 *    has none of them costs one cached flag; a session that already has a selection from an
 *    agent keeps taking part in it, whatever its rules say later.
 *
 * Over 400 lines on purpose: the browser bundles this one file as the engine, and every decision
 * rule (allocation order, conditions, eligibility, exclusion, stickiness) reads in one place.
 */

import type { Snapshot, SnapshotAgent, SnapshotCondition, SnapshotVariation } from '../agents/snapshot.js';
import {
  clausesHold,
  describeRule,
  groupMembers,
  placeInGroup,
  type RuleContext,
  ruleHolds,
} from './aiming.js';
import { allocate } from './allocation.js';
import { uaTraits } from './ua.js';

/** Distinct traits a session keeps (the most recent ones). */
export const MAX_SESSION_TRAITS = 100;

export type Command = { a: string; c?: string[]; x?: string[]; s?: 'p' | 'ok' } | { g: string; v?: number };

export interface StoredSelection {
  c: string;
  p: 'r' | 'a' | 's' | 'f';
  s: 'ok' | 'p';
}

export interface VisitorState {
  selections: Record<string, StoredSelection>;
  /** "goal|agent" pairs already credited. */
  rewarded: string[];
  traits: string[];
  // ---- aiming (docs/targeting.md): present only once an agent with eligibility or exclusion ran
  /** agent code → 1 eligible, 0 not: decided once per session and agent */
  eligible?: Record<string, 0 | 1>;
  /** exclusion group → the agent the session is placed in */
  placed?: Record<string, string>;
}

export type RecordedEvent =
  | { type: 'selection'; agent: string; variation: string }
  | { type: 'reward'; goal: string; agent: string; variation: string; value: number };

export interface ExecuteInput {
  session: string;
  commands: Command[];
  inputs: Record<string, string>;
  /** Raw "group:value" strings from the query. */
  queryTraits: string[];
  userAgent?: string;
  debug: boolean;
  /** time of the request (ms since the epoch), for weekday and hour rules; absent: they never hold */
  now?: number;
  /** a QA session (docs/targeting.md): sees `qaOnly` agents; `forced` answers agent → variation */
  qa?: { forced: Record<string, string> };
}

export type Policy = 'r' | 'a' | 's' | 'f' | 'p' | 'x';

export interface SelectionItem {
  a: string;
  c: string;
  p: Policy;
  s: 'ok' | 'p';
  md: Record<string, string>;
}

export interface RewardItem {
  g: string;
  rs: { a: string; v: number }[];
}

export type Item = SelectionItem | RewardItem;

export interface ExecuteResult {
  items: Item[];
  sels: Record<string, string>;
  traits: string[];
  log?: string[];
  /** The new state; the input state is never mutated. */
  state: VisitorState;
  events: RecordedEvent[];
  /** True when `state` differs from the state given. */
  changed: boolean;
}

export function emptyVisitorState(): VisitorState {
  return { selections: {}, rewarded: [], traits: [] };
}

// ---------------------------------------------------------------------------------------------
// Small defensive helpers (the engine must never throw, whatever reaches it at runtime).

function hasOwn(obj: unknown, key: string): boolean {
  return typeof obj === 'object' && obj !== null && key !== '__proto__' && Object.hasOwn(obj, key);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string') : [];
}

function cloneState(state: VisitorState): VisitorState {
  const out = emptyVisitorState();
  const src: unknown = isRecord(state) ? state.selections : undefined;
  if (isRecord(src)) {
    for (const key of Object.keys(src)) {
      const sel = src[key];
      if (key === '__proto__' || !isRecord(sel) || typeof sel.c !== 'string') continue;
      const p = sel.p === 'r' || sel.p === 'a' || sel.p === 's' || sel.p === 'f' ? sel.p : 'r';
      out.selections[key] = { c: sel.c, p, s: sel.s === 'p' ? 'p' : 'ok' };
    }
  }
  if (isRecord(state)) {
    out.rewarded = stringList(state.rewarded);
    out.traits = stringList(state.traits).slice(-MAX_SESSION_TRAITS);
    // aiming: copied only when present, so states of sessions that never met it keep their shape
    if (isRecord(state.eligible)) out.eligible = copyMap(state.eligible, (v) => v === 0 || v === 1);
    if (isRecord(state.placed)) out.placed = copyMap(state.placed, (v) => typeof v === 'string');
  }
  return out;
}

function copyMap<T>(src: Record<string, unknown>, keep: (v: unknown) => boolean): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(src)) if (key !== '__proto__' && keep(src[key])) out[key] = src[key] as T;
  return out;
}

/** The session held something before this request (the visitor fact `status: returning`). */
function isReturning(state: unknown): boolean {
  if (!isRecord(state)) return false;
  for (const field of ['selections', 'eligible', 'placed']) {
    const v = state[field];
    if (isRecord(v) && Object.keys(v).length > 0) return true;
  }
  return (
    (Array.isArray(state.rewarded) && state.rewarded.length > 0) ||
    (Array.isArray(state.traits) && state.traits.length > 0)
  );
}

/** What the engine reads of an agent on every request, worked out once per (immutable) snapshot agent. */
interface AgentShape {
  variations: SnapshotVariation[];
  /** every metadata key of the agent: its declared keys, then any other key a variation uses */
  metaKeys: string[];
  /** has eligibility rules or an exclusion group: only such agents take the aiming path */
  aimed: boolean;
}
const shapes = new WeakMap<SnapshotAgent, AgentShape>();

function shapeOf(agent: SnapshotAgent): AgentShape {
  let shape = shapes.get(agent);
  if (shape) return shape;
  const variations = Array.isArray(agent.variations)
    ? agent.variations.filter((v) => isRecord(v) && typeof v.code === 'string')
    : [];
  const metaKeys: string[] = [];
  const seen = new Set<string>();
  const candidates = [...stringList(agent.metaKeys)];
  for (const v of variations) if (isRecord(v.meta)) candidates.push(...Object.keys(v.meta));
  for (const k of candidates) {
    if (k === '__proto__' || seen.has(k)) continue;
    seen.add(k);
    metaKeys.push(k);
  }
  shape = {
    variations,
    metaKeys,
    aimed: isRecord(agent.eligibility) || isRecord(agent.exclusion) || agent.qaOnly === true,
  };
  shapes.set(agent, shape);
  return shape;
}

function metadata(agent: SnapshotAgent, variation: SnapshotVariation | undefined): Record<string, string> {
  const md: Record<string, string> = {};
  const own = variation && isRecord(variation.meta) ? variation.meta : undefined;
  for (const k of shapeOf(agent).metaKeys) {
    const value: unknown = own && hasOwn(own, k) ? own[k] : undefined;
    md[k] = value === undefined || value === null ? '' : String(value);
  }
  return md;
}

function primitiveString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function parseQueryTrait(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const t = raw.trim();
  const i = t.indexOf(':');
  if (i < 0) return null;
  const group = t.slice(0, i).trim();
  const value = t.slice(i + 1).trim();
  if (group === '' || value === '') return null;
  return `cust/${group}:${value}`;
}

const quoteList = (codes: string[]): string => codes.join(', ');

// ---------------------------------------------------------------------------------------------

/**
 * One request's run of the engine. Its steps are methods rather than closures made per request:
 * the same code, without allocating (and naming) a function for each step on every call.
 */
class Run {
  readonly items: Item[] = [];
  readonly sels: Record<string, string> = {};
  readonly events: RecordedEvent[] = [];
  readonly log: string[] = [];
  changed = false;

  constructor(
    readonly st: VisitorState,
    readonly agents: unknown,
    readonly goals: unknown,
    readonly inputs: unknown,
    readonly session: string,
    readonly debug: boolean,
    /** the state as given, before this request (aiming's `returning`) */
    readonly given: unknown,
    readonly now: number | undefined,
    readonly qa: { forced: Record<string, string> } | undefined,
  ) {}

  ruleContext(): RuleContext {
    return { inputs: this.inputs, traits: this.st.traits, returning: isReturning(this.given), now: this.now };
  }

  say(line: string): void {
    if (this.debug) this.log.push(line);
  }

  // ---- traits ---------------------------------------------------------------------------------
  applyTraits(input: ExecuteInput): void {
    const { st } = this;
    const applied = new Set<string>();
    for (const raw of isRecord(input) && Array.isArray(input.queryTraits) ? input.queryTraits : []) {
      const t = parseQueryTrait(raw);
      if (t !== null) applied.add(t);
    }
    for (const t of uaTraits(
      isRecord(input) && typeof input.userAgent === 'string' ? input.userAgent : undefined,
    )) {
      applied.add(t);
    }
    for (const t of applied) {
      if (t.startsWith('ua/mo:')) {
        const others = st.traits.filter((e) => e.startsWith('ua/mo:') && e !== t);
        if (others.length > 0) {
          st.traits = st.traits.filter((e) => !others.includes(e));
          this.changed = true;
        }
      }
      if (!st.traits.includes(t)) {
        if (st.traits.length >= MAX_SESSION_TRAITS) st.traits.shift();
        st.traits.push(t);
        this.changed = true;
      }
      this.say(`Added trait '${t}' (apply)`);
    }
  }

  /** aiming: the account's custom traits, each the first of its rules that holds (docs/targeting.md). */
  applyDerivedTraits(traits: unknown[]): void {
    const { st } = this;
    for (const trait of traits) {
      if (!isRecord(trait) || typeof trait.group !== 'string' || !Array.isArray(trait.rules)) continue;
      for (const rule of trait.rules) {
        if (!isRecord(rule) || typeof rule.value !== 'string') continue;
        if (!clausesHold(rule.when, rule.match, (clause) => this.clauseHolds(clause))) continue;
        const t = `cust/${trait.group}:${rule.value}`;
        if (!st.traits.includes(t)) {
          if (st.traits.length >= MAX_SESSION_TRAITS) st.traits.shift();
          st.traits.push(t);
          this.changed = true;
        }
        this.say(`Added trait '${t}' (rule)`);
        break;
      }
    }
  }

  // ---- conditions -----------------------------------------------------------------------------
  clauseHolds(clause: unknown): boolean {
    if (!isRecord(clause)) return false;
    const { inputs } = this;
    if (typeof clause.input === 'string' && typeof clause.is === 'string') {
      if (!hasOwn(inputs, clause.input)) return false;
      return primitiveString((inputs as Record<string, unknown>)[clause.input]) === clause.is;
    }
    if (typeof clause.op === 'string') return ruleHolds(clause, this.ruleContext());
    if (typeof clause.trait === 'string') return this.st.traits.includes(clause.trait);
    return false;
  }

  // ---- aiming (docs/targeting.md) -------------------------------------------------------------
  /**
   * Whether the session takes part in an agent that has eligibility rules or an exclusion group;
   * answers why not, or null. The placement and eligibility are remembered in the state.
   */
  whyLeftOut(agentCode: string, agent: SnapshotAgent): string | null {
    const { st } = this;
    const ex: unknown = agent.exclusion;
    if (isRecord(ex) && typeof ex.group === 'string') {
      const group = ex.group;
      const members = groupMembers(this.agents as Record<string, SnapshotAgent>, group);
      const remembered = st.placed && hasOwn(st.placed, group) ? st.placed[group] : undefined;
      let home = remembered !== undefined && members.some((m) => m.code === remembered) ? remembered : null;
      if (home === null) {
        // A session already counted in a member before it joined the group stays there.
        home =
          members.find((m) => hasOwn(st.selections, m.code))?.code ??
          placeInGroup(this.session, group, members);
        if (home !== null) {
          st.placed = { ...st.placed, [group]: home };
          this.changed = true;
          this.say(`Exclusion group '${group}': session placed in agent '${home}'`);
        }
      }
      if (home !== agentCode) {
        return home === null
          ? `no agent of exclusion group '${group}' has weight`
          : `session is placed in agent '${home}' of exclusion group '${group}'`;
      }
    }
    const el: unknown = agent.eligibility;
    if (isRecord(el)) {
      const known = st.eligible && hasOwn(st.eligible, agentCode) ? st.eligible[agentCode] : undefined;
      let eligible = known === 1;
      if (known === undefined) {
        eligible = clausesHold(el.rules, el.match, (clause) => this.clauseHolds(clause));
        st.eligible = { ...st.eligible, [agentCode]: eligible ? 1 : 0 };
        this.changed = true;
        this.say(
          `Agent '${agentCode}': eligibility decided for the session: ${eligible ? 'takes part' : 'not eligible'}`,
        );
      }
      if (!eligible) return 'session is not eligible';
    }
    return null;
  }

  answer(
    agentCode: string,
    agent: SnapshotAgent,
    variation: SnapshotVariation,
    p: Policy,
    s: 'ok' | 'p',
  ): void {
    this.items.push({ a: agentCode, c: variation.code, p, s, md: metadata(agent, variation) });
    this.sels[agentCode] = variation.code;
  }

  // ---- selection ------------------------------------------------------------------------------
  select(cmd: Record<string, unknown>, agentCode: string): void {
    const { agents, st } = this;
    const who = `Agent '${agentCode}'`;
    if (!hasOwn(agents, agentCode) || !isRecord((agents as Record<string, unknown>)[agentCode])) {
      this.say(`${who}: unknown agent '${agentCode}', no item (the client falls back to its default)`);
      return;
    }
    const agent = (agents as Record<string, SnapshotAgent>)[agentCode];
    const { variations, aimed } = shapeOf(agent);
    if (aimed && agent.qaOnly === true && this.qa === undefined) {
      this.say(`${who}: agent answers QA sessions only, no item (the client falls back to its default)`);
      return;
    }
    const status = agent.status;
    if (status === 'draft' || status === 'stopped' || status === 'archived') {
      this.say(`${who}: agent is ${status}, no item (the client falls back to its default)`);
      return;
    }
    if (status !== 'running' && status !== 'paused') {
      this.say(`${who}: agent has no runnable status, no item (the client falls back to its default)`);
      return;
    }
    if (variations.length === 0) {
      this.say(`${who}: agent has no variations, no item (the client falls back to its default)`);
      return;
    }

    if (status === 'paused') {
      const pausedAt =
        typeof agent.pausedAt === 'string' ? findVariation(variations, agent.pausedAt) : undefined;
      const variation = pausedAt ?? variations[0];
      this.say(
        pausedAt
          ? `${who}: agent is paused at '${variation.code}'; answering it, not counted`
          : `${who}: agent is paused at '${variation.code}' (its first variation); answering it, not counted`,
      );
      this.answer(agentCode, agent, variation, 'p', 'ok');
      return;
    }

    // running
    const allow = stringList(cmd.c);
    const exclude = stringList(cmd.x);
    const requested: 'ok' | 'p' = cmd.s === 'p' ? 'p' : 'ok';
    const existing = hasOwn(st.selections, agentCode) ? st.selections[agentCode] : undefined;

    // QA sessions only (never on the fast path): a forced variation answers first, and stays.
    if (this.qa !== undefined && hasOwn(this.qa.forced, agentCode)) {
      const forced = findVariation(variations, String(this.qa.forced[agentCode]));
      if (forced && isAllowed(allow, exclude, forced.code)) {
        this.say(`${who}: QA session forces variation '${forced.code}' (fixed)`);
        if (existing?.c !== forced.code || existing.s !== requested) {
          st.selections[agentCode] = { c: forced.code, p: 'f', s: requested };
          this.changed = true;
          if (requested === 'ok')
            this.events.push({ type: 'selection', agent: agentCode, variation: forced.code });
        }
        this.answer(agentCode, agent, forced, 'f', requested);
        return;
      }
    }

    // aiming: only agents with eligibility or exclusion pay for it; a session that already has
    // a selection from the agent keeps taking part (visitors do not drift in and out).
    if (!existing && aimed) {
      const why = this.whyLeftOut(agentCode, agent);
      if (why !== null) {
        const pausedAt =
          typeof agent.pausedAt === 'string' ? findVariation(variations, agent.pausedAt) : undefined;
        const variation = pausedAt ?? variations[0];
        this.say(`${who}: ${why}; answering '${variation.code}' (policy x), not remembered, not counted`);
        this.answer(agentCode, agent, variation, 'x', 'ok');
        return;
      }
    }

    if (existing) {
      const variation = findVariation(variations, existing.c);
      if (variation && isAllowed(allow, exclude, variation.code)) {
        if (existing.s === 'p' && requested === 'ok') {
          st.selections[agentCode] = { c: existing.c, p: existing.p, s: 'ok' };
          this.changed = true;
          this.events.push({ type: 'selection', agent: agentCode, variation: existing.c });
          this.say(
            `${who}: session already had variation '${existing.c}' (sticky), provisional until now: confirmed and counted`,
          );
          this.answer(agentCode, agent, variation, 's', 'ok');
        } else {
          this.say(
            `${who}: session already had variation '${existing.c}' (sticky)${existing.s === 'p' ? ', still provisional' : ''}`,
          );
          this.answer(agentCode, agent, variation, 's', existing.s);
        }
        return;
      }
      this.say(
        variation
          ? `${who}: session had variation '${existing.c}' but this request does not allow it; deciding again`
          : `${who}: session had variation '${existing.c}' which no longer exists; deciding again`,
      );
    }

    let chosen: SnapshotVariation | undefined;
    let policy: 'r' | 'a' | 'f' = 'r';
    const conditions: unknown[] = Array.isArray(agent.conditions) ? agent.conditions : [];
    for (let i = 0; i < conditions.length && !chosen; i++) {
      const cond = conditions[i];
      if (!isRecord(cond) || !Array.isArray(cond.when)) continue;
      if (cond.match === 'any' && cond.when.length > 0) {
        if (!cond.when.some((clause) => this.clauseHolds(clause))) continue;
      } else if (!cond.when.every((clause) => this.clauseHolds(clause))) continue;
      const then = typeof cond.then === 'string' ? cond.then : '';
      const variation = findVariation(variations, then);
      const why = `condition ${i + 1} matched: ${describeCondition(cond as unknown as SnapshotCondition)}`;
      if (variation && isAllowed(allow, exclude, variation.code)) {
        chosen = variation;
        policy = 'f';
        this.say(`${who}: ${why}; answering variation '${variation.code}' (fixed)`);
      } else {
        this.say(
          `${who}: ${why}, but its variation '${then}' ${variation ? 'is not allowed by this request' : 'does not exist'}; trying the next`,
        );
      }
    }
    if (!chosen) {
      const candidates =
        allow.length === 0 && exclude.length === 0
          ? variations
          : variations.filter((v) => isAllowed(allow, exclude, v.code));
      // Adaptive: the learned weights published with the deployed configuration, the same on every
      // server and in the script tag; a variation the authors gave weight 0 stays out.
      const adaptive = agent.allocation === 'adaptive';
      // Until the first weights are learned, adaptive allocation starts from the authors' weights.
      const learned = adaptive ? agent.adaptiveWeights : undefined;
      const weighted = learned
        ? candidates.map((v) => ({
            code: v.code,
            weight: typeof v.weight === 'number' && v.weight > 0 ? (learned[v.code] ?? 0) : 0,
          }))
        : candidates;
      const code = allocate(this.session, agentCode, weighted);
      if (code !== null) {
        chosen = findVariation(variations, code);
        policy = adaptive ? 'a' : 'r';
        if (this.debug) {
          const pool = candidates
            .filter((v) => typeof v.weight === 'number' && Number.isFinite(v.weight) && v.weight > 0)
            .map((v) => v.code);
          this.say(
            `${who}: ${adaptive ? 'adaptive' : 'random'} allocation among ${quoteList(pool)}; chose '${code}'`,
          );
        }
      }
    }
    if (!chosen) {
      const first = variations[0];
      this.say(
        `${who}: no variation can be chosen (all excluded or of weight 0); answering its first variation '${first.code}', not remembered, not counted`,
      );
      this.answer(agentCode, agent, first, 'x', 'ok');
      return;
    }
    if (existing && existing.s === 'ok') {
      this.say(
        `${who}: the session stays counted in variation '${existing.c}'; '${chosen.code}' is answered for this request only, not remembered`,
      );
      this.answer(agentCode, agent, chosen, policy, 'ok');
      return;
    }
    st.selections[agentCode] = { c: chosen.code, p: policy, s: requested };
    this.changed = true;
    if (requested === 'ok') {
      this.events.push({ type: 'selection', agent: agentCode, variation: chosen.code });
      this.say(`${who}: variation '${chosen.code}' remembered for the session and counted`);
    } else {
      this.say(`${who}: variation '${chosen.code}' remembered as provisional, not counted until confirmed`);
    }
    this.answer(agentCode, agent, chosen, policy, requested);
  }

  // ---- reward ---------------------------------------------------------------------------------
  reward(cmd: Record<string, unknown>, goalCode: string): void {
    const { agents, goals, st, items } = this;
    const who = `Goal '${goalCode}'`;
    if (!hasOwn(goals, goalCode) || !isRecord((goals as Record<string, unknown>)[goalCode])) {
      this.say(`${who}: unknown goal '${goalCode}', nothing credited`);
      items.push({ g: goalCode, rs: [] });
      return;
    }
    const goal = (goals as Record<string, { value: unknown }>)[goalCode];
    const value =
      typeof cmd.v === 'number' && Number.isFinite(cmd.v)
        ? cmd.v
        : typeof goal.value === 'number' && Number.isFinite(goal.value)
          ? goal.value
          : 1;
    const rs: { a: string; v: number }[] = [];
    for (const agentCode of Object.keys(st.selections)) {
      if (!hasOwn(agents, agentCode)) continue;
      const agent = (agents as Record<string, unknown>)[agentCode];
      if (!isRecord(agent) || (agent.status !== 'running' && agent.status !== 'paused')) continue;
      if (Array.isArray(agent.goals) && !agent.goals.includes(goalCode)) continue;
      const sel = st.selections[agentCode];
      const key = `${goalCode}|${agentCode}`;
      if (sel.s !== 'ok') {
        rs.push({ a: agentCode, v: 0 });
        this.say(
          `${who}: agent '${agentCode}' has only a provisional selection ('${sel.c}'); 0 credited, the goal is not used up`,
        );
      } else if (st.rewarded.includes(key)) {
        rs.push({ a: agentCode, v: 0 });
        this.say(
          `${who}: agent '${agentCode}' was already credited for this goal in this session; 0 credited`,
        );
      } else {
        rs.push({ a: agentCode, v: value });
        st.rewarded.push(key);
        this.changed = true;
        this.events.push({ type: 'reward', goal: goalCode, agent: agentCode, variation: sel.c, value });
        this.say(`${who}: credited ${value} to agent '${agentCode}' (variation '${sel.c}')`);
      }
    }
    if (rs.length === 0)
      this.say(`${who}: no agent that tracks this goal has a selection in this session; nothing credited`);
    items.push({ g: goalCode, rs });
  }
}

function findVariation(variations: SnapshotVariation[], code: string): SnapshotVariation | undefined {
  for (const v of variations) if (v.code === code) return v;
  return undefined;
}

function isAllowed(allow: string[], exclude: string[], code: string): boolean {
  return (allow.length === 0 || allow.includes(code)) && !exclude.includes(code);
}

function describeCondition(cond: SnapshotCondition): string {
  if (cond.when.length === 0) return 'no clauses (always holds)';
  return cond.when
    .map((cl: unknown) => {
      if (isRecord(cl) && typeof cl.op === 'string') return describeRule(cl);
      if (isRecord(cl) && typeof cl.input === 'string') return `input ${cl.input} = ${String(cl.is)}`;
      if (isRecord(cl) && typeof cl.trait === 'string') return `trait ${cl.trait}`;
      return 'malformed clause';
    })
    .join(cond.match === 'any' ? ' or ' : ' and ');
}

export function execute(snapshot: Snapshot, state: VisitorState, input: ExecuteInput): ExecuteResult {
  const run = new Run(
    cloneState(state),
    isRecord(snapshot) ? snapshot.agents : undefined,
    isRecord(snapshot) ? snapshot.goals : undefined,
    isRecord(input) ? input.inputs : undefined,
    isRecord(input) && typeof input.session === 'string' ? input.session : '',
    isRecord(input) && input.debug === true,
    state,
    isRecord(input) && typeof input.now === 'number' ? input.now : undefined,
    isRecord(input) && isRecord(input.qa) && isRecord(input.qa.forced)
      ? { forced: input.qa.forced as Record<string, string> }
      : undefined,
  );
  run.applyTraits(input);
  const derived: unknown = isRecord(snapshot) ? snapshot.traits : undefined;
  if (Array.isArray(derived) && derived.length > 0) run.applyDerivedTraits(derived);
  const commands: unknown[] = isRecord(input) && Array.isArray(input.commands) ? input.commands : [];
  for (let i = 0; i < commands.length; i++) {
    const cmd = commands[i];
    if (isRecord(cmd) && typeof cmd.a === 'string') run.select(cmd, cmd.a);
    else if (isRecord(cmd) && typeof cmd.g === 'string') run.reward(cmd, cmd.g);
    else run.say(`Command ${i + 1} skipped: it is neither a selection {"a": …} nor a reward {"g": …}`);
  }
  const { items, sels, st, events, changed, log } = run;
  const result: ExecuteResult = { items, sels, traits: st.traits.slice(), state: st, events, changed };
  if (run.debug) result.log = log;
  return result;
}
