/**
 * Runs a served script tag in node:vm (or, for speed, in this realm), in a fake page: a window with localStorage (or none),
 * document.cookie, navigator.sendBeacon (or none), fetch and timers the test drives. What the
 * script answers is copied out of the vm's realm (JSON), so node:assert compares plain values.
 */
import { webcrypto } from 'node:crypto';
import vm from 'node:vm';
import type { ClientAnswer, ClientOptions } from '../../src/script/client.js';

export interface Sent {
  url: string;
  body: string;
  via: 'beacon' | 'fetch';
}

export interface PageOptions {
  /** the localStorage contents, shared between page loads (a reload: a new page with the same map) */
  storage?: Map<string, string>;
  /** false: localStorage throws, as in some private modes and sandboxed frames */
  localStorage?: boolean;
  /** cookies as name → value, shared between page loads */
  cookies?: Map<string, string>;
  /** false: no navigator.sendBeacon */
  beacon?: boolean;
  userAgent?: string;
  /** where the script was loaded from (document.currentScript.src) */
  scriptSrc?: string;
  pageUrl?: string;
  /**
   * 'vm' (default): a context of its own, as isolated as a page. 'this': the same script in this
   * realm, its page globals given as function parameters, for loops of thousands of decisions
   * (a vm context's global lookups make each decision several times slower).
   */
  realm?: 'vm' | 'this';
  /** more navigator properties (`doNotTrack: '1'`, `globalPrivacyControl: true`) */
  navigator?: Record<string, unknown>;
  /** what the page put on window before the script ran (e.g. its own `Conductrics` object) */
  globals?: Record<string, unknown>;
}

export interface FakePage {
  storage: Map<string, string>;
  cookies: Map<string, string>;
  /** every document.cookie assignment as written, attributes included */
  cookieWrites: string[];
  /** beacons and fetches the script sent */
  sent: Sent[];
  /** runs the timers the script set (its batched flush) */
  runTimers(): void;
  /** fires pagehide, as when the visitor leaves */
  leave(): void;
  /** what the script put on window */
  global(name: string): unknown;
  /** `new ClientApi(options).exec(commands)`, through the callback; the answer as plain values */
  exec(commands: unknown, options?: ClientOptions): ClientAnswer;
}

interface ClientApiLike {
  exec(commands: unknown, callback: (err: Error | null, data?: unknown) => void): unknown;
}

export function loadScript(code: string, options: PageOptions = {}): FakePage {
  const storage = options.storage ?? new Map<string, string>();
  const cookies = options.cookies ?? new Map<string, string>();
  const sent: Sent[] = [];
  const cookieWrites: string[] = [];
  const timers: (() => void)[] = [];
  const listeners = new Map<string, (() => void)[]>();
  const on = (type: string, fn: () => void) => listeners.set(type, [...(listeners.get(type) ?? []), fn]);

  const localStorage = {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => void storage.set(k, String(v)),
    removeItem: (k: string) => void storage.delete(k),
  };
  const document = {
    currentScript: { src: options.scriptSrc ?? 'https://tessera.example/acc/v3/agent-api/js/dt?apikey=k' },
    visibilityState: 'visible',
    addEventListener: on,
    get cookie() {
      return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    set cookie(text: string) {
      cookieWrites.push(text);
      const [pair] = text.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1));
    },
  };
  const navigator: Record<string, unknown> = {
    userAgent: options.userAgent ?? 'Mozilla/5.0 (X11; Linux x86_64)',
    ...options.navigator,
  };
  if (options.beacon !== false) {
    navigator.sendBeacon = (url: string, body: string) => {
      sent.push({ url, body: String(body), via: 'beacon' });
      return true;
    };
  }
  const sandbox: Record<string, unknown> = {
    ...options.globals,
    document,
    navigator,
    location: {
      href: options.pageUrl ?? 'https://shop.example/',
      protocol: new URL(options.pageUrl ?? 'https://shop.example/').protocol,
    },
    crypto: webcrypto,
    URL,
    setTimeout: (fn: () => void) => timers.push(fn),
    clearTimeout: () => {},
    addEventListener: on,
    fetch: async (url: string, init: { body: string }) => {
      sent.push({ url, body: init.body, via: 'fetch' });
      return { status: 200 };
    },
  };
  if (options.localStorage === false) {
    Object.defineProperty(sandbox, 'localStorage', {
      get() {
        throw new Error('SecurityError: localStorage is not available');
      },
    });
  } else {
    sandbox.localStorage = localStorage;
  }
  sandbox.window = sandbox;
  if (options.realm === 'this') {
    const names = Object.keys(sandbox).filter((name) => name !== 'localStorage');
    new Function(...names, code)(...names.map((name) => sandbox[name]));
  } else {
    vm.runInContext(code, vm.createContext(sandbox), { filename: 'tessera-script.js' });
  }

  const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  return {
    storage,
    cookies,
    cookieWrites,
    sent,
    runTimers() {
      for (const fn of timers.splice(0)) fn();
    },
    leave() {
      for (const fn of listeners.get('pagehide') ?? []) fn();
    },
    global: (name) => sandbox[name],
    exec(commands, clientOptions) {
      const api = sandbox.Tessera as { ClientApi: new (o?: ClientOptions) => ClientApiLike };
      let answer: unknown;
      let failure: Error | null = null;
      new api.ClientApi(clientOptions).exec(commands, (err, data) => {
        failure = err;
        answer = data;
      });
      if (failure) throw failure;
      if (answer === undefined) throw new Error('exec did not call its callback before returning');
      return plain(answer as ClientAnswer);
    },
  };
}
