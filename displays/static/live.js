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

const WEEKDAYS = ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"];
const TZ = "Asia/Ho_Chi_Minh";

// The hall's wall clock (its own time zone, whatever the screen's is set to).
export function hallTime(ms, withSeconds = true) {
  return new Intl.DateTimeFormat("vi-VN", { hour: "2-digit", minute: "2-digit", second: withSeconds ? "2-digit" : undefined, hour12: false, timeZone: TZ }).format(new Date(ms));
}

export function hallDate(ms) {
  const d = new Date(ms);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "2-digit", month: "2-digit", year: "numeric", timeZone: TZ }).formatToParts(d).map((p) => [p.type, p.value]));
  const weekday = WEEKDAYS[["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday)];
  return `${weekday}, ngày ${parts.day}/${parts.month}/${parts.year}`;
}

export const CABIN_STATES = { open: "Đang mở", paused: "Tạm dừng", closed: "Đã đóng" };
export const TICKET_STATES = { waiting: "Đang chờ", called: "Đang mời", serving: "Đang phục vụ", done: "Đã xong", no_show: "Vắng mặt", transferred: "Đã chuyển", cancelled: "Đã hủy", expired: "Hết hiệu lực" };

export function minutesText(m) {
  if (m === null || m === undefined) return "—";
  return m < 1 ? "dưới 1 phút" : `${Math.round(m)} phút`;
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
    badge.textContent = online ? "" : "Mất kết nối máy chủ – đang kết nối lại…";
    badge.classList.toggle("off", !online);
    document.body.dataset.online = online ? "1" : "0";
  };
}
