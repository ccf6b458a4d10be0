// The one way every hall screen stays live: a snapshot, then deltas in order, over
// /ws/display/<kind>. A delta whose first event is not the next sequence number means frames were
// missed: the page drops the socket and takes a fresh snapshot. A closed socket (server restart,
// network, "fell behind" 1013) reconnects with exponential backoff and jitter; the page itself
// never reloads.

const MIN_DELAY = 500, MAX_DELAY = 15000;

// A page of one hall of a province is served under /h/<hall>/…: its API calls and sockets go to
// the same prefix, so the page talks to its own hall. At the root the prefix is empty.
export const HALL_BASE = (location.pathname.match(/^\/h\/[a-z0-9-]+(?=\/)/) || [""])[0];

export function hallPath(path) {
  return path.startsWith("/") ? HALL_BASE + path : path;
}

export function connect(kind, handlers) {
  const state = { seq: -1, socket: null, attempt: 0, offset: 0, closedByUs: false };
  const status = handlers.onStatus || (() => {});

  function open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${HALL_BASE}/ws/display/${kind}`);
    state.socket = socket;
    socket.onmessage = (msg) => {
      let frame;
      try { frame = JSON.parse(msg.data); } catch { return; }
      receive(frame);
    };
    socket.onclose = (ev) => {
      if (state.socket !== socket) return;
      state.socket = null;
      status(false, ev.code);
      if (state.closedByUs) return;
      if (ev.code === 4404) { handlers.onGone && handlers.onGone(ev.reason); return; }  // no such screen or ticket
      const delay = Math.min(MAX_DELAY, MIN_DELAY * 2 ** state.attempt) * (0.75 + Math.random() / 2);
      state.attempt += 1;
      setTimeout(open, delay);
    };
  }

  function receive(frame) {
    if (frame.t === "snapshot") {
      state.seq = frame.seq;
      state.attempt = 0;
      if (typeof frame.now === "number") state.offset = frame.now * 1000 - Date.now();
      status(true);
      handlers.onSnapshot && handlers.onSnapshot(frame);
    } else if (frame.t === "delta") {
      if (frame.seq <= state.seq) return;  // already in the snapshot
      const first = frame.events && frame.events.length ? frame.events[0].seq : frame.seq;
      if (first > state.seq + 1) { resync(); return; }  // a gap: take a new snapshot
      state.seq = frame.seq;
      handlers.onDelta && handlers.onDelta(frame);
    } else if (frame.t === "ticket") {  // the tracking page: one ticket, filtered on the server
      if (frame.seq <= state.seq) return;
      state.seq = frame.seq;
      handlers.onTicket && handlers.onTicket(frame);
    } else {
      handlers.onFrame && handlers.onFrame(frame);
    }
  }

  function resync() {
    if (state.socket) state.socket.close(4000, "gap in sequence numbers");
  }

  open();
  return {
    send(obj) {
      if (state.socket && state.socket.readyState === WebSocket.OPEN) { state.socket.send(JSON.stringify(obj)); return true; }
      return false;
    },
    now() { return Date.now() + state.offset; },  // the server's clock, in ms
    get seq() { return state.seq; },
    close() { state.closedByUs = true; if (state.socket) state.socket.close(); },
  };
}

// ---- small helpers shared by the pages -------------------------------------------------------

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

const TZ = "Asia/Ho_Chi_Minh";

// The hall's wall clock (its own time zone, whatever the screen's is set to).
export function hallTime(ms, withSeconds = true) {
  return new Intl.DateTimeFormat("vi-VN", { hour: "2-digit", minute: "2-digit", second: withSeconds ? "2-digit" : undefined, hour12: false, timeZone: TZ }).format(new Date(ms));
}

export function hallDate(ms) {
  const d = new Date(ms);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "2-digit", month: "2-digit", year: "numeric", timeZone: TZ }).formatToParts(d).map((p) => [p.type, p.value]));
  const weekday = t(`date.weekday.${["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday)}`);
  return t("date.long", { weekday, day: parts.day, month: parts.month, year: parts.year });
}

// ---- words: the message catalogue of the page's language (displays/messages/<lang>.json) --------

let MESSAGES = {};

// The page's language: ?lang=xx, else the <html lang> of the page (Vietnamese).
export function pageLanguage() {
  return new URLSearchParams(location.search).get("lang") || document.documentElement.lang || "vi";
}

// Load the catalogue (Vietnamese if the language has none) and fill every [data-msg] element.
export async function loadMessages(lang = pageLanguage()) {
  let answer = await fetch(hallPath(`/messages/${encodeURIComponent(lang)}.json`));
  if (!answer.ok && lang !== "vi") { lang = "vi"; answer = await fetch(hallPath("/messages/vi.json")); }
  MESSAGES = answer.ok ? await answer.json() : {};
  document.documentElement.lang = lang;
  translate(document);
  return MESSAGES;
}

// The message `key` with its {placeholders} filled; a missing key shows as itself, never blank.
export function t(key, values = {}) {
  const message = MESSAGES[key];
  if (message === undefined) return key;
  return message.replace(/\{(\w+)\}/g, (_, name) => (values[name] === undefined ? "" : String(values[name])));
}

// Elements name their words: data-msg (text), data-msg-placeholder, data-msg-label (aria-label).
export function translate(root) {
  for (const node of root.querySelectorAll("[data-msg]")) node.textContent = t(node.dataset.msg);
  for (const node of root.querySelectorAll("[data-msg-placeholder]")) node.placeholder = t(node.dataset.msgPlaceholder);
  for (const node of root.querySelectorAll("[data-msg-label]")) node.setAttribute("aria-label", t(node.dataset.msgLabel));
  const title = document.querySelector("title[data-msg]");
  if (title) document.title = t(title.dataset.msg);
}

const wordsOf = (prefix) => new Proxy({}, { get: (_, state) => MESSAGES[`${prefix}.${String(state)}`] });
export const CABIN_STATES = wordsOf("cabin.state");
export const TICKET_STATES = wordsOf("ticket.state");

export function minutesText(m) {
  if (m === null || m === undefined) return "—";
  return m < 1 ? t("time.under_a_minute") : t("time.minutes", { minutes: Math.round(m) });
}

export async function getJSON(path, options = {}) {
  const answer = await fetch(hallPath(path), options);
  let body = null;
  try { body = await answer.json(); } catch { body = null; }
  return { status: answer.status, ok: answer.ok, body };
}

// A small badge in the corner that says the screen lost the server and is reconnecting.
export function statusBadge() {
  const badge = el("div", { class: "conn", role: "status" });
  document.body.append(badge);
  return (online) => {
    badge.textContent = online ? "" : t("connection.lost");
    badge.classList.toggle("off", !online);
    document.body.dataset.online = online ? "1" : "0";
  };
}

// ---- lists on a TV that may not fit its screen ---------------------------------------------------

// Shows `items` in `body` a page at a time: as many rows as fit in `frame` (measured, so long
// names that wrap and any screen size are handled), each page in turn. A whole turn never takes
// longer than settings.full_turn_seconds, so every item is on screen within that time; the turn
// goes on across updates (a busy hall sends deltas every second: they must not hold page one).
// `frame` is an element of fixed height with overflow hidden; `onPage(page, pages)` labels it.
// With `rotate: false` the list shows only what fits of its first page (the newest calls).
export function pagedList(frame, body, rowFor, { onPage = () => {}, rotate = true } = {}) {
  let items = [], pages = [[0, 0]], index = 0, timer = null;
  let settings = { rotate_seconds: 8, full_turn_seconds: 30 };
  const overflows = () => frame.scrollHeight > frame.clientHeight + 1;

  function paginate() {
    pages = [];
    for (let start = 0; start < items.length;) {
      body.replaceChildren();
      let end = start;
      while (end < items.length) {
        const row = rowFor(items[end]);
        body.append(row);
        if (overflows() && end > start) { row.remove(); break; }
        end += 1;
      }
      pages.push([start, end]);
      start = end;
      if (!rotate) break;
    }
    if (!pages.length) pages = [[0, 0]];
  }
  function show() {
    index %= pages.length;
    const [start, end] = pages[index];
    body.replaceChildren(...items.slice(start, end).map(rowFor));
    frame.dataset.page = String(index + 1);
    frame.dataset.pages = String(pages.length);
    frame.dataset.intervalMs = String(interval());
    onPage(index + 1, pages.length);
  }
  function interval() { return Math.min(settings.rotate_seconds, settings.full_turn_seconds / pages.length) * 1000; }
  function turn() {
    timer = null;
    if (pages.length < 2) return;
    index += 1;
    show();
    timer = setTimeout(turn, interval());
  }
  function update(next) {
    items = next;
    paginate();
    show();
    if (!timer && pages.length > 1) timer = setTimeout(turn, interval());
  }
  window.addEventListener("resize", () => update(items));
  return {
    update,
    configure(next) { settings = { ...settings, ...next }; update(items); },
  };
}

// The user asked the system for less motion: no flashing, no scrolling text.
export const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;
