import { connect, el, debounce, getJSON, statusBadge, CABIN_STATES, TICKET_STATES, loadMessages, t, HALL_BASE } from "/static/live.js";
const SESSION_KEY = "officer" + HALL_BASE;  // a sign-in belongs to one hall

await loadMessages();

// The officer console. Every word is the catalogue's (officer.*): a refusal is explained by its
// error code, in the page, never with the server's English message and never in an alert().
// Shortcuts (hall file `[display.shortcuts]`, in the snapshot) are shown on their buttons; a
// shortcut acts only through its button, so it can do nothing the button could not.

const $ = (id) => document.getElementById(id);
const ACTIONS = ["open", "call-next", "recall", "start", "finish", "no-show", "pause", "resume", "close"];
// Where focus goes when the element that had it disappears or is disabled by the new state:
// the next thing the officer is likely to press.
const FOCUS_ORDER = ["finish", "start", "call-next", "resume", "open"];
let session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
let cabin = null, services = [], shortcuts = {};

const actionButton = (action) => document.querySelector(`[data-action="${action}"]`);

function show(id, text) { $(id).textContent = text || ""; $(id).classList.toggle("show", !!text); }
function explain(answer) {
  if (answer.status === 0) return t("officer.error.network");
  const code = (answer.body && answer.body.error && answer.body.error.code) || (answer.status === 429 ? "too_many_requests" : "");
  const known = `officer.error.${code}`;
  const text = t(known);
  return text === known ? t("officer.error.other", { code: code || answer.status }) : text;
}
function auth() { return { Authorization: `Bearer ${session.token}`, "Content-Type": "application/json" }; }

async function send(path, options) {
  try { return await getJSON(path, options); } catch { return { status: 0, ok: false, body: null }; }
}

async function act(action, body, keep) {
  show("error"); show("notice");
  const answer = await send(`/api/v1/cabins/${session.cabin}/${action}`, { method: "POST", headers: auth(), body: JSON.stringify(body || {}) });
  if (answer.status === 401) { logout(); show("login-error", t("officer.error.unauthorized")); return; }
  if (answer.status === 204) show("notice", t("officer.nobody_waiting"));
  else if (!answer.ok) show("error", explain(answer));
  else if (answer.body && answer.body.number && (action === "call-next" || action === "call")) show("notice", t("officer.called", { number: answer.body.number }));
  await refresh();
  keepFocus(keep);
}

// Focus never falls back to the page after an action: it stays where it was if that still can
// be used, else goes to the likeliest next button.
function keepFocus(preferred) {
  const usable = (node) => node && node.isConnected && !node.disabled && node.offsetParent !== null;
  const target = [preferred, document.activeElement].find((n) => usable(n) && n !== document.body)
    || FOCUS_ORDER.map(actionButton).find(usable);
  if (target && target !== document.activeElement) target.focus();
}

function render() {
  if (!cabin) return;
  $("cabin-number").textContent = cabin.number;
  $("cabin-dept").textContent = cabin.department_name;
  $("cabin-state").textContent = (CABIN_STATES[cabin.state] || cabin.state) + (cabin.pause_reason ? `: ${cabin.pause_reason}` : "");
  $("cabin-state").className = `state ${cabin.state}`;
  const ticket = cabin.ticket;
  $("current-number").textContent = ticket ? ticket.number : "—";
  $("current-state").textContent = ticket ? (TICKET_STATES[ticket.state] || ticket.state) + (ticket.recalls ? ` · ${t("officer.recalled", { count: ticket.recalls })}` : "") : "";
  const has = !!ticket, open = cabin.state === "open", called = has && ticket.state === "called";
  const enabled = {
    open: cabin.state === "closed", "call-next": open && !has, recall: called, start: called, finish: has, "no-show": called,
    pause: open && !has, resume: cabin.state === "paused", close: !has && cabin.state !== "closed",
  };
  for (const b of document.querySelectorAll("[data-action]")) b.disabled = !enabled[b.dataset.action];
  $("call-specific").disabled = !open || has;
  $("transfer").disabled = !has;
  const queue = cabin.queue || [];
  $("queue-title").textContent = t("officer.queue", { count: queue.length });
  $("queue").replaceChildren(...queue.map((q) => el("tr", { "data-number": q.number },
    el("td", { class: "num" }, q.number), el("td", {}, q.service_name), el("td", {}, q.priority ? t("officer.priority") : ""),
    el("td", {}, q.issued_at.slice(11, 16)),
    el("td", {}, el("button", { class: "btn ghost", disabled: !open || has, onclick: () => act("call", { ticket: q.number }) },
      t("officer.action.call"), el("span", { class: "sr" }, ` ${q.number}`))))));
}

// Each action button: its words, and its key when it has one (shown, and told to assistive tech).
function labelButtons() {
  for (const action of ACTIONS) {
    const button = actionButton(action);
    const key = shortcuts[action];
    button.replaceChildren(t(`officer.action.${action}`), ...(key ? [" ", el("kbd", { class: "key" }, key)] : []));
    if (key) { button.setAttribute("aria-keyshortcuts", key); button.title = t("officer.shortcut", { key }); }
  }
}

function keyName(ev) {
  const key = ev.key.length === 1 ? ev.key.toUpperCase() : ev.key;
  return [ev.ctrlKey && "Ctrl", ev.altKey && "Alt", ev.shiftKey && "Shift", key].filter(Boolean).join("+");
}
document.addEventListener("keydown", (ev) => {
  if ($("desk").hidden) return;
  const action = Object.keys(shortcuts).find((a) => shortcuts[a] === keyName(ev));
  if (!action) return;
  ev.preventDefault();
  const button = actionButton(action);
  if (!button.disabled) button.click();
});

async function refresh() {
  if (!session) return;
  const answer = await send(`/api/v1/cabins/${session.cabin}`);
  if (answer.ok) { cabin = answer.body; render(); }
}
const refreshSoon = debounce(refresh, 150);

async function enter() {
  $("login-panel").hidden = true; $("desk").hidden = false;
  listen();
  $("who").textContent = t("officer.who", { name: session.user.name, username: session.user.username, cabin: session.cabin });
  if (!services.length) {
    const answer = await send("/api/v1/services");
    services = answer.ok ? answer.body.services : [];
    $("transfer-service").append(...services.map((s) => el("option", { value: s.code }, s.name)));
  }
  await refresh();
  keepFocus();
}
function logout() {
  if (session) fetch(`${HALL_BASE}/api/v1/auth/logout`, { method: "POST", headers: auth() });  // the token ends on the server too
  if (live) { live.close(); live = null; }
  sessionStorage.removeItem(SESSION_KEY); session = null; cabin = null;
  $("desk").hidden = true; $("login-panel").hidden = false; $("who").textContent = "";
  $("username").focus();
}

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  show("login-error");
  const answer = await send("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("username").value.trim(), password: $("password").value }) });
  if (!answer.ok) { show("login-error", answer.status === 401 || answer.status === 403 ? t("officer.bad_login") : explain(answer)); $("password").select(); return; }
  const chosen = Number($("cabin-choice").value) || answer.body.user.cabin;
  if (!chosen) { show("login-error", t("officer.no_cabin")); $("cabin-choice").focus(); return; }
  session = { token: answer.body.token, user: answer.body.user, cabin: chosen };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  await enter();
});
for (const b of document.querySelectorAll("[data-action]:not(#pause)")) b.addEventListener("click", () => act(b.dataset.action, null, b));
$("pause").addEventListener("click", () => act("pause", { reason: $("pause-reason").value }, $("pause")));
// Enter in "call a number" and in the transfer fields submits them (they are forms).
$("specific-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const value = $("specific").value.trim().toUpperCase();
  if (!value) { show("error", t("officer.enter_number")); $("specific").focus(); return; }
  act("call", { ticket: value }, $("specific")).then(() => $("specific").select());
});
$("transfer-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const body = {};
  if ($("transfer-service").value) body.service = $("transfer-service").value;
  if ($("transfer-cabin").value) body.cabin = Number($("transfer-cabin").value);
  if (!body.service && !body.cabin) { show("error", t("officer.transfer_where")); $("transfer-service").focus(); return; }
  act("transfer", body);
});
$("transfer-service").addEventListener("keydown", (ev) => {  // a <select> does not submit on Enter by itself
  if (ev.key === "Enter") { ev.preventDefault(); $("transfer-form").requestSubmit(); }
});
$("logout").addEventListener("click", logout);

// The console's socket needs the officer's token (a browser cannot send headers on a websocket).
const onStatus = statusBadge();
let live = null;
function listen() {
  if (live) live.close();
  live = connect(`officer?token=${encodeURIComponent(session.token)}`, {
    onStatus,
    onSnapshot(snap) { shortcuts = (snap.display && snap.display.shortcuts) || {}; labelButtons(); refreshSoon(); },
    onDelta() { refreshSoon(); },
  });
}
labelButtons();
if (session) enter();
else $("username").focus();
