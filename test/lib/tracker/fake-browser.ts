import vm from 'node:vm';

/** A sent event as the server would receive it. */
export interface Sent {
  via: 'beacon' | 'fetch';
  url: string;
  body: Record<string, unknown>;
  contentType?: string;
}

export interface FakeBrowserOptions {
  pageUrl?: string;
  scriptSrc?: string;
  attributes?: Record<string, string>;
  referrer?: string;
  /** Runs in the page before the tracker, like an inline snippet. */
  beforeScript?: string;
  /** false: no navigator.sendBeacon, so the tracker must fall back to fetch. */
  beacon?: boolean;
  visibilityState?: 'visible' | 'prerender';
}

type Listener = (event: Record<string, unknown>) => void;

/**
 * Just enough of window/document/history/navigator for the tracker, evaluated with `vm`. Touching
 * cookies or any Web Storage throws, so a test fails if the tracker ever does.
 */
export function fakeBrowser(code: string, options: FakeBrowserOptions = {}) {
  let url = new URL(options.pageUrl ?? 'https://www.example.com/');
  const sent: Sent[] = [];
  const windowListeners: Record<string, Listener[]> = {};
  const documentListeners: Record<string, Listener[]> = {};
  const attributes = options.attributes ?? {};
  const forbidden = (what: string) => () => {
    throw new Error(`tracker touched ${what}`);
  };

  const location = {
    get href() {
      return url.href;
    },
    get hostname() {
      return url.hostname;
    },
    get host() {
      return url.host;
    },
    get pathname() {
      return url.pathname;
    },
    get hash() {
      return url.hash;
    },
    get protocol() {
      return url.protocol;
    },
  };

  const document = {
    currentScript: {
      src: options.scriptSrc ?? 'https://stats.example.net/js/script.js',
      getAttribute: (name: string) => attributes[name] ?? null,
    },
    referrer: options.referrer ?? '',
    visibilityState: options.visibilityState ?? 'visible',
    addEventListener: (type: string, fn: Listener) => (documentListeners[type] ??= []).push(fn),
  };
  Object.defineProperty(document, 'cookie', { get: forbidden('document.cookie'), set: forbidden('document.cookie') });

  const navigator: Record<string, unknown> = {};
  if (options.beacon !== false) {
    navigator.sendBeacon = (to: string, body: string) => {
      sent.push({ via: 'beacon', url: to, body: JSON.parse(body) as Record<string, unknown> });
      return true;
    };
  }

  const window: Record<string, unknown> = {
    location,
    document,
    navigator,
    innerWidth: 1280,
    history: {
      pushState(_state: unknown, _title: string, to?: string) {
        if (to !== undefined) url = new URL(to, url);
      },
    },
    addEventListener: (type: string, fn: Listener) => (windowListeners[type] ??= []).push(fn),
    fetch: (to: string, init: { body: string; headers: Record<string, string>; keepalive: boolean }) => {
      sent.push({
        via: 'fetch',
        url: to,
        body: JSON.parse(init.body) as Record<string, unknown>,
        contentType: init.headers['Content-Type'],
      });
      return Promise.resolve({ status: 202 });
    },
  };
  for (const storage of ['localStorage', 'sessionStorage', 'indexedDB']) {
    Object.defineProperty(window, storage, { get: forbidden(storage) });
  }
  window.window = window;

  const context = vm.createContext(window);
  if (options.beforeScript) vm.runInContext(options.beforeScript, context);
  vm.runInContext(code, context);

  const fire = (listeners: Record<string, Listener[]>, type: string, event: Record<string, unknown> = {}) => {
    for (const fn of listeners[type] ?? []) fn({ type, ...event });
  };

  return {
    sent,
    window,
    /** Calls a function defined in the page (e.g. `analytics`). */
    call(name: string, ...args: unknown[]) {
      (window[name] as (...a: unknown[]) => void)(...args);
    },
    pushState(to: string) {
      (window.history as { pushState: (s: unknown, t: string, u: string) => void }).pushState({}, '', to);
    },
    /** The user pressed Back/Forward to `to`. */
    popState(to: string) {
      url = new URL(to, url);
      fire(windowListeners, 'popstate');
    },
    changeHash(hash: string) {
      url = new URL(hash, url);
      fire(windowListeners, 'hashchange');
    },
    click(target: Record<string, unknown>, event: Record<string, unknown> = {}) {
      fire(documentListeners, event.type === 'auxclick' ? 'auxclick' : 'click', { target, button: 0, ...event });
    },
    becomeVisible() {
      document.visibilityState = 'visible';
      fire(documentListeners, 'visibilitychange');
    },
  };
}

/** An `<a>` element as the click handler sees it, optionally wrapped in another element. */
export function link(href: string) {
  const parsed = new URL(href);
  const anchor = { tagName: 'A', href: parsed.href, host: parsed.host, parentNode: null };
  return { anchor, child: { tagName: 'SPAN', parentNode: anchor } };
}
