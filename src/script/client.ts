/**
 * The script tag's client: bundled (with the decision engine itself) into the script that
 * `GET /{acc}/v3/agent-api/js/{dt}` serves, around the target's deployed configuration.
 *
 *   new Tessera.ClientApi(options).exec(commands, (err, data) => ...)   (also added to window.Conductrics)
 *
 * decides locally with the server's own engine, so a session gets the variation the runtime API
 * would give it. Visitor state (session id, selections, rewards, traits) lives in localStorage,
 * in a cookie when localStorage is unavailable, in memory when neither is; a target set to cookie
 * storage keeps it in a first-party cookie (on its cookie domain, so subdomains share it), the
 * same state in another place, so decisions are the same either way. Counted selections and
 * accepted rewards are queued (in localStorage, so a page left before they were sent sends them
 * on the next page) and sent in batches with navigator.sendBeacon (text/plain JSON, so no CORS
 * preflight), or fetch where there is no beacon.
 *
 * Decisions where the runtime API leaves room:
 * - the callback is called before `exec` returns (the decision is local: a page can show its
 *   variation before the first paint); `exec` also answers a promise;
 * - `options.ua` defaults to the browser's own User-Agent (the runtime API's `ua` parameter), so
 *   `ua/mo:y|n` traits apply;
 * - a page that passes its own `session` starts that session's state afresh if the stored state
 *   belongs to another session (one session per account and browser is kept).
 *
 * Over 400 lines on purpose: it is bundled alone into the script tag, and one file keeps what
 * ships to browsers readable in one place (storage, beacons, privacy signals, the ClientApi).
 */
import { type Command, emptyVisitorState, execute, type Item, type VisitorState } from '../runtime/engine.js';
import { type DeviceEvent, engineSnapshot, eventsPath, type ScriptConfig } from './device-config.js';

declare const __TESSERA_CONFIG__: ScriptConfig;

export interface ClientOptions {
  /** the visitor's session; default: one made and kept in this browser */
  session?: string;
  /** `group:value` traits, as a list or comma-separated (the runtime API's `traits`) */
  traits?: string[] | string;
  /** inputs for every request of this client, merged under each request's own */
  inputs?: Record<string, string | number | boolean>;
  /** the User-Agent traits are derived from; default navigator.userAgent */
  ua?: string;
  /** adds `log` to answers */
  debug?: boolean;
  /** time of the request for weekday and hour rules (ms since the epoch); default: now */
  now?: number;
}

export interface ClientAnswer {
  session: string;
  items: Item[];
  sels: Record<string, string>;
  traits: string[];
  log?: string[];
}

type ClientRequest = Command[] | { commands?: Command[]; inputs?: Record<string, string | number | boolean> };
type Callback = (err: Error | null, data?: ClientAnswer) => void;

interface SavedState {
  session: string;
  state: VisitorState;
}

interface PendingEvent extends DeviceEvent {
  session: string;
}

const config = __TESSERA_CONFIG__;
const snapshot = engineSnapshot(config.snapshot);

/** Whether this browser asks not to be tracked: Do-Not-Track (DNT: 1) or Global Privacy Control. */
function asksNotToBeTracked(): boolean {
  try {
    const nav = navigator as Navigator & { globalPrivacyControl?: boolean; msDoNotTrack?: string };
    const page = window as unknown as { doNotTrack?: string };
    return (
      nav.globalPrivacyControl === true ||
      nav.doNotTrack === '1' ||
      nav.msDoNotTrack === '1' ||
      page.doNotTrack === '1'
    );
  } catch {
    return false;
  }
}

/**
 * On a target that honours privacy signals, a visitor who sends one is answered as if every agent
 * were paused (its paused-at or first variation, policy `p`), and nothing about them is counted,
 * sent or stored: no session is kept, no event queued.
 */
const UNTRACKED = config.honourPrivacySignals === true && asksNotToBeTracked();
const untrackedSnapshot = UNTRACKED
  ? {
      ...snapshot,
      agents: Object.fromEntries(
        Object.entries(snapshot.agents).map(([code, agent]) => [
          code,
          agent.status === 'running' ? { ...agent, status: 'paused' as const } : agent,
        ]),
      ),
    }
  : snapshot;
const STORAGE_KEY = `tessera:${config.account}`;
const PENDING_KEY = `${STORAGE_KEY}:pending`;
const FLUSH_DELAY_MS = 250;
const MAX_PENDING = 500;
const MAX_SESSION_LENGTH = 256;
/** The target keeps the visitor's state in a first-party cookie rather than localStorage. */
const COOKIE_STORAGE = config.visitorStorage === 'cookie';
// Browsers keep about 4 KB per cookie and drop a larger one whole: the state is kept under this
// (encoded) by dropping its oldest selections first, so the newest ones and the session survive.
const MAX_COOKIE_VALUE = 3500;
// Browsers cap a cookie's lifetime at 400 days.
const COOKIE_MAX_AGE = 400 * 24 * 3600;

// ---- storage --------------------------------------------------------------------------------

interface Slot {
  read(): string | null;
  write(value: string): void;
}

function localStorageSlot(name: string): Slot | null {
  try {
    const storage = window.localStorage;
    const probe = `${name}:probe`;
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return { read: () => storage.getItem(name), write: (value) => storage.setItem(name, value) };
  } catch {
    return null;
  }
}

function cookieSlot(name: string, domain: string | null = null): Slot {
  const cookie = name.replace(/[^A-Za-z0-9_-]/g, '_');
  // Secure where the page is https (a cookie set on http would otherwise be refused there).
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  const scope = domain ? `; Domain=${domain}` : '';
  return {
    read() {
      for (const part of document.cookie.split(';')) {
        const at = part.indexOf('=');
        if (part.slice(0, at).trim() === cookie) return decodeURIComponent(part.slice(at + 1));
      }
      return null;
    },
    write(value) {
      // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is not in every browser
      document.cookie = `${cookie}=${encodeURIComponent(value)}; Path=/; Max-Age=${COOKIE_MAX_AGE}; SameSite=Lax${scope}${secure}`;
    },
  };
}

/** A slot that never fails: its last value is kept in memory in case the storage refuses it. */
function durable(slot: Slot | null): Slot {
  let memory: string | null = null;
  return {
    read() {
      try {
        const value = slot?.read() ?? null;
        if (value !== null) return value;
      } catch {}
      return memory;
    },
    write(value) {
      memory = value;
      try {
        slot?.write(value);
      } catch {}
    },
  };
}

/**
 * Cookie storage, read first; a visitor of a target that used localStorage until now keeps the
 * state kept there (it is moved into the cookie on the next write, and then removed).
 */
function cookieFirst(cookie: Slot, former: Slot | null): Slot {
  let moved = former === null;
  return {
    read: () => cookie.read() ?? (moved ? null : (former?.read() ?? null)),
    write(value) {
      cookie.write(value);
      if (!moved && cookie.read() !== null) {
        moved = true;
        try {
          localStorage.removeItem(STORAGE_KEY);
        } catch {}
      }
    },
  };
}

const local = localStorageSlot(STORAGE_KEY);
const stateInCookie = COOKIE_STORAGE || local === null;
const stateSlot = durable(
  COOKIE_STORAGE
    ? cookieFirst(cookieSlot(STORAGE_KEY, config.cookieDomain ?? null), local)
    : (local ?? cookieSlot(STORAGE_KEY)),
);
// Pending events can outgrow a cookie, so without localStorage they stay in memory.
const pendingSlot = durable(local ? localStorageSlot(PENDING_KEY) : null);

function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function readState(): SavedState | null {
  const saved = parse(stateSlot.read()) as Partial<SavedState> | null;
  if (!saved || typeof saved.session !== 'string' || typeof saved.state !== 'object' || !saved.state)
    return null;
  return { session: saved.session, state: saved.state };
}

/**
 * The saved state as text; for a cookie, cut to MAX_COOKIE_VALUE by dropping the oldest
 * selections (then the oldest rewards and traits), rather than losing the whole cookie.
 */
function stateText(saved: SavedState): string {
  let text = JSON.stringify(saved);
  if (!stateInCookie || encodeURIComponent(text).length <= MAX_COOKIE_VALUE) return text;
  const state: VisitorState = {
    selections: { ...saved.state.selections },
    rewarded: [...saved.state.rewarded],
    traits: [...saved.state.traits],
  };
  // Selections are kept in the order they were first made: the first key is the oldest.
  const oldest = Object.keys(state.selections);
  while (encodeURIComponent(text).length > MAX_COOKIE_VALUE) {
    const agent = oldest.shift();
    if (agent !== undefined) delete state.selections[agent];
    else if (state.rewarded.length > 0) state.rewarded.shift();
    else if (state.traits.length > 0) state.traits.shift();
    else break;
    text = JSON.stringify({ session: saved.session, state });
  }
  return text;
}

function readPending(): PendingEvent[] {
  const list = parse(pendingSlot.read());
  return Array.isArray(list) ? (list as PendingEvent[]) : [];
}

function writePending(list: PendingEvent[]): void {
  pendingSlot.write(JSON.stringify(list.slice(-MAX_PENDING)));
}

function newSession(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const bytes = new Uint8Array(22);
  try {
    crypto.getRandomValues(bytes);
  } catch {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  let out = '';
  // 248 = 4 × 62: only bytes below it map evenly onto the alphabet; the rare others are redrawn.
  for (const byte of bytes) out += alphabet[byte < 248 ? byte % 62 : Math.floor(Math.random() * 62)];
  return out;
}

// ---- events ---------------------------------------------------------------------------------

let timer: ReturnType<typeof setTimeout> | undefined;

function eventsUrl(): string {
  let origin = config.origin;
  if (origin === null) {
    try {
      const script = document.currentScript as HTMLScriptElement | null;
      origin = new URL(script?.src ?? '', location.href).origin;
    } catch {
      origin = '';
    }
  }
  return `${origin}${eventsPath(config.account, config.target)}?apikey=${encodeURIComponent(config.key)}`;
}

// Read while the script runs: document.currentScript is only set then.
const EVENTS_URL = eventsUrl();

function send(body: string, events: PendingEvent[]): void {
  try {
    if (typeof navigator.sendBeacon === 'function' && navigator.sendBeacon(EVENTS_URL, body)) return;
  } catch {}
  const retry = () => writePending(readPending().concat(events));
  try {
    fetch(EVENTS_URL, {
      method: 'POST',
      body,
      keepalive: true,
      credentials: 'omit',
      headers: { 'content-type': 'text/plain' },
    }).then((res) => {
      if (res.status >= 500 || res.status === 429) retry();
    }, retry);
  } catch {
    retry();
  }
}

/** Sends every queued event now (also on pagehide and when the page is hidden). */
function flush(): void {
  if (UNTRACKED) return; // events queued before the visitor asked not to be tracked are not sent
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  const pending = readPending();
  if (pending.length === 0) return;
  writePending([]);
  const bySession = new Map<string, PendingEvent[]>();
  for (const event of pending) {
    if (!event || typeof event.session !== 'string') continue;
    const list = bySession.get(event.session) ?? [];
    list.push(event);
    bySession.set(event.session, list);
  }
  for (const [session, list] of bySession) {
    const events = list.map(({ session: _, ...event }) => event);
    send(JSON.stringify({ session, events }), list);
  }
}

function scheduleFlush(): void {
  if (timer === undefined) timer = setTimeout(flush, FLUSH_DELAY_MS);
}

// ---- the API --------------------------------------------------------------------------------

function stringInputs(inputs: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof inputs !== 'object' || inputs === null) return out;
  for (const [name, value] of Object.entries(inputs)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[name] = String(value);
    }
  }
  return out;
}

function run(options: ClientOptions, request: ClientRequest): ClientAnswer {
  const commands = Array.isArray(request) ? request : request?.commands;
  if (!Array.isArray(commands)) {
    throw new TypeError('exec needs a list of commands: [{"a": "a-…"}, {"g": "g-…"}]');
  }
  const given = options.session;
  if (given !== undefined && (typeof given !== 'string' || given.length > MAX_SESSION_LENGTH)) {
    throw new TypeError(`session must be a string of at most ${MAX_SESSION_LENGTH} characters`);
  }
  const traits = options.traits;
  const asked = {
    commands,
    inputs: {
      ...stringInputs(options.inputs),
      ...stringInputs(Array.isArray(request) ? {} : request.inputs),
    },
    queryTraits: typeof traits === 'string' ? traits.split(',') : Array.isArray(traits) ? traits : [],
    userAgent: typeof options.ua === 'string' ? options.ua : navigator.userAgent,
    debug: options.debug === true,
    now: typeof options.now === 'number' ? options.now : Date.now(),
  };
  if (UNTRACKED) {
    const result = execute(untrackedSnapshot, emptyVisitorState(), {
      ...asked,
      session: given || 'untracked',
    });
    const answer: ClientAnswer = {
      session: given || '',
      items: result.items,
      sels: result.sels,
      traits: result.traits,
    };
    if (result.log)
      answer.log = ['The browser asks not to be tracked: nothing is counted or stored', ...result.log];
    return answer;
  }
  const saved = readState();
  const session = given || saved?.session || newSession();
  const state = saved && saved.session === session ? saved.state : emptyVisitorState();
  const result = execute(snapshot, state, { ...asked, session });
  if (result.changed || saved?.session !== session) {
    stateSlot.write(stateText({ session, state: result.state }));
  }
  if (result.events.length > 0) {
    const pending = readPending();
    for (const event of result.events) {
      pending.push(
        event.type === 'selection'
          ? { session, a: event.agent, c: event.variation }
          : { session, g: event.goal, a: event.agent, c: event.variation, v: event.value },
      );
    }
    writePending(pending);
    scheduleFlush();
  }
  const answer: ClientAnswer = { session, items: result.items, sels: result.sels, traits: result.traits };
  if (result.log) answer.log = result.log;
  return answer;
}

export class ClientApi {
  private readonly options: ClientOptions;

  constructor(options?: ClientOptions) {
    this.options = typeof options === 'object' && options !== null ? options : {};
  }

  /** Runs selection and reward commands; the answer is the runtime API's `data`. */
  exec(request: ClientRequest, callback?: Callback): Promise<ClientAnswer> {
    let answer: ClientAnswer | undefined;
    let error: Error | null = null;
    try {
      answer = run(this.options, request);
    } catch (caught) {
      error = caught instanceof Error ? caught : new Error(String(caught));
    }
    const promise = error ? Promise.reject(error) : Promise.resolve(answer as ClientAnswer);
    if (typeof callback === 'function') {
      // The callback hears the error; the promise must not also report it as unhandled.
      promise.catch(() => {});
      callback(error, answer);
    }
    return promise;
  }
}

const api = { ClientApi, flush, version: config.snapshot.version };
const page = window as unknown as Record<string, unknown>;
page.Tessera = api;
// Pages written for Conductrics may have put their own things on window.Conductrics (settings,
// handlers, another script's API): ClientApi is added beside them, and nothing there is replaced.
const existing = page.Conductrics;
if ((typeof existing === 'object' && existing !== null) || typeof existing === 'function') {
  const shared = existing as Record<string, unknown>;
  for (const [name, value] of Object.entries(api)) {
    if (!(name in shared)) shared[name] = value;
  }
} else {
  page.Conductrics = api;
}

addEventListener('pagehide', flush);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') flush();
});
if (readPending().length > 0) scheduleFlush();
