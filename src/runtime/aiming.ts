/**
 * Aiming an agent (docs/targeting.md): clauses with operators, eligibility and mutual exclusion.
 * Pure and deterministic like the engine that calls it, and bundled with it into the script tag:
 * no I/O, no clock (the time of the request is given), no Node built-ins.
 *
 * Decisions:
 * - A clause's subject is an input, the values a session holds for a trait group (`cust/plan`
 *   holds `pro` when the session has `cust/plan:pro`), or a built-in visitor fact. A positive
 *   operator holds when one of the subject's values passes it; `neq` and `notExists` are the
 *   negations of `eq` and `exists` (an absent input is "not equal").
 * - Numeric operators compare numbers: a value that is not a finite number never passes.
 * - Visitor facts: `status` is `returning` when the session held anything (a selection, a
 *   reward, a trait, an eligibility or placement) before this request, else `new`; `weekday`
 *   (`sun`…`sat`) and `hour` (`0`…`23`) are in UTC, from the time of the request.
 * - Mutual exclusion uses weighted rendezvous hashing: each member agent scores
 *   `-ln(u) / weight` with `u` hashed from group, agent and session, the lowest score wins. So
 *   shares follow the weights, and raising one agent's weight (or adding an agent) only takes
 *   sessions into that agent: nobody else moves between the others.
 */

import type { SnapshotAgent } from '../agents/snapshot.js';
import { murmur3, utf8Bytes } from './allocation.js';

export interface RuleContext {
  inputs: unknown;
  traits: string[];
  /** the session held something before this request */
  returning: boolean;
  /** time of the request (ms since the epoch); absent: weekday and hour clauses never hold */
  now: number | undefined;
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function primitiveString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function numberOf(s: string): number {
  return s.trim() === '' ? Number.NaN : Number(s);
}

/** The values a clause's subject has for this request (empty: absent). */
function subjectValues(clause: Record<string, unknown>, ctx: RuleContext): string[] {
  if (typeof clause.input === 'string') {
    const inputs = ctx.inputs;
    if (!isRecord(inputs) || clause.input === '__proto__' || !Object.hasOwn(inputs, clause.input)) return [];
    const v = primitiveString(inputs[clause.input]);
    return v === undefined ? [] : [v];
  }
  if (typeof clause.trait === 'string') {
    const prefix = `${clause.trait}:`;
    const out: string[] = [];
    for (const t of ctx.traits) if (t.startsWith(prefix)) out.push(t.slice(prefix.length));
    return out;
  }
  if (clause.visitor === 'status') return [ctx.returning ? 'returning' : 'new'];
  const now = ctx.now;
  if (typeof now !== 'number' || !Number.isFinite(now)) return [];
  const inDay = ((now % DAY_MS) + DAY_MS) % DAY_MS;
  if (clause.visitor === 'hour') return [String(Math.floor(inDay / 3_600_000))];
  // 1970-01-01 was a Thursday.
  if (clause.visitor === 'weekday') return [WEEKDAYS[(((Math.floor(now / DAY_MS) + 4) % 7) + 7) % 7]];
  return [];
}

function passes(op: string, s: string, value: string | undefined, values: unknown): boolean {
  if (op === 'in') return Array.isArray(values) && values.includes(s);
  if (value === undefined) return false;
  switch (op) {
    case 'eq':
      return s === value;
    case 'contains':
      return s.includes(value);
    case 'startsWith':
      return s.startsWith(value);
    case 'lt':
      return numberOf(s) < numberOf(value);
    case 'lte':
      return numberOf(s) <= numberOf(value);
    case 'gt':
      return numberOf(s) > numberOf(value);
    case 'gte':
      return numberOf(s) >= numberOf(value);
    default:
      return false;
  }
}

/** Whether a clause with an operator holds; a malformed one never does. */
export function ruleHolds(clause: Record<string, unknown>, ctx: RuleContext): boolean {
  const op = clause.op;
  if (typeof op !== 'string') return false;
  const subject = subjectValues(clause, ctx);
  if (op === 'exists') return subject.length > 0;
  if (op === 'notExists') return subject.length === 0;
  const value = primitiveString(clause.value);
  if (op === 'neq') return !subject.some((s) => passes('eq', s, value, undefined));
  return subject.some((s) => passes(op, s, value, clause.values));
}

/** `all` (the default) or `any` of the clauses; an empty list holds. */
export function clausesHold(clauses: unknown, match: unknown, holds: (clause: unknown) => boolean): boolean {
  if (!Array.isArray(clauses)) return false;
  if (clauses.length === 0) return true;
  return match === 'any' ? clauses.some(holds) : clauses.every(holds);
}

export function describeRule(clause: Record<string, unknown>): string {
  const subject =
    typeof clause.input === 'string'
      ? `input ${clause.input}`
      : typeof clause.trait === 'string'
        ? `trait ${clause.trait}`
        : `visitor ${String(clause.visitor)}`;
  const operand = Array.isArray(clause.values)
    ? ` [${clause.values.map(String).join(', ')}]`
    : clause.value === undefined
      ? ''
      : ` ${String(clause.value)}`;
  return `${subject} ${String(clause.op)}${operand}`;
}

// ---- mutual exclusion ------------------------------------------------------------------------

export interface GroupMember {
  code: string;
  weight: number;
}

/** Members of each group, worked out once per (immutable) snapshot's agents. */
const groupsOf = new WeakMap<object, Map<string, GroupMember[]>>();

/** The running or paused agents of an exclusion group, by code (the device bundle holds the same ones). */
export function groupMembers(agents: Record<string, SnapshotAgent>, group: string): GroupMember[] {
  let groups = groupsOf.get(agents);
  if (!groups) {
    groups = new Map();
    for (const code of Object.keys(agents).sort()) {
      const agent = agents[code];
      if (!isRecord(agent) || (agent.status !== 'running' && agent.status !== 'paused')) continue;
      const ex: unknown = agent.exclusion;
      if (!isRecord(ex) || typeof ex.group !== 'string') continue;
      const weight =
        typeof ex.weight === 'number' && Number.isFinite(ex.weight) && ex.weight > 0 ? ex.weight : 0;
      const list = groups.get(ex.group) ?? [];
      list.push({ code, weight });
      groups.set(ex.group, list);
    }
    groupsOf.set(agents, groups);
  }
  return groups.get(group) ?? [];
}

/** The member a session is placed in (weighted rendezvous hashing); null when no member has weight. */
export function placeInGroup(session: string, group: string, members: GroupMember[]): string | null {
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const m of members) {
    if (!(m.weight > 0)) continue;
    // u in (0, 1): never 0, so the logarithm stays finite.
    const u = (murmur3(utf8Bytes(`${group}|${m.code}|${session}`)) + 0.5) / 4294967296;
    const score = -Math.log(u) / m.weight;
    if (score < bestScore) {
      bestScore = score;
      best = m.code;
    }
  }
  return best;
}
