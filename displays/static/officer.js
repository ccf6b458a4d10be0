import { connect, el, debounce, getJSON, statusBadge, CABIN_STATES, TICKET_STATES, loadMessages, HALL_BASE } from "/static/live.js";
const SESSION_KEY = "officer" + HALL_BASE;  // a sign-in belongs to one hall

await loadMessages();

const $ = (id) => document.getElementById(id);
const ERRORS = {
  cabin_busy: "Quầy đang có số chưa xử lý xong: hãy hoàn thành, báo vắng mặt hoặc chuyển trước.",
  recall_first: "Cần gọi lại đủ số lần trước khi báo vắng mặt.",
  no_current_ticket: "Quầy chưa có số nào đang phục vụ.",
  illegal_transition: "Không thể thực hiện thao tác này ở trạng thái hiện tại.",
  unauthorized: "Phiên đăng nhập không hợp lệ hoặc đã hết hạn, vui lòng đăng nhập lại.",
  forbidden: "Tài khoản không được thao tác trên quầy này.",
  unknown_ticket: "Không tìm thấy số thứ tự này.",
  unknown_cabin: "Không có quầy này.",
  unknown_service: "Không có lĩnh vực này.",
  not_served_here: "Số này đã được chuyển cho quầy khác.",
  day_closed: "Hàng đợi hôm nay đã đóng.",
};
let session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
let cabin = null, services = [];

function show(id, text) { $(id).textContent = text || ""; $(id).classList.toggle("show", !!text); }
function explain(body) {
  const err = body && body.error;
  if (!err) return "Không thực hiện được thao tác.";
  return (ERRORS[err.code] || "Không thực hiện được thao tác.") + ` (${err.message})`;
}
function auth() { return { Authorization: `Bearer ${session.token}`, "Content-Type": "application/json" }; }

async function act(action, body) {
  show("error"); show("notice");
  const answer = await getJSON(`/api/v1/cabins/${session.cabin}/${action}`, { method: "POST", headers: auth(), body: JSON.stringify(body || {}) });
  if (answer.status === 401) { logout(); show("error", ERRORS.unauthorized); return; }
  if (answer.status === 204) show("notice", "Không còn ai chờ ở các lĩnh vực quầy phục vụ.");
  else if (!answer.ok) show("error", explain(answer.body));
  else if (answer.body && answer.body.number && (action === "call-next" || action === "call")) show("notice", `Đã gọi số ${answer.body.number}.`);
  await refresh();
}

function render() {
  if (!cabin) return;
  $("cabin-number").textContent = cabin.number;
  $("cabin-dept").textContent = cabin.department_name;
  $("cabin-state").textContent = (CABIN_STATES[cabin.state] || cabin.state) + (cabin.pause_reason ? `: ${cabin.pause_reason}` : "");
  $("cabin-state").className = `state ${cabin.state}`;
  const t = cabin.ticket;
  $("current-number").textContent = t ? t.number : "—";
  $("current-state").textContent = t ? (TICKET_STATES[t.state] || t.state) + (t.recalls ? ` · đã gọi lại ${t.recalls} lần` : "") : "";
  const has = !!t, open = cabin.state === "open";
  const enabled = {
    open: cabin.state === "closed", "call-next": open && !has, recall: has && t.state === "called", start: has && t.state === "called",
    finish: has, "no-show": has && t.state === "called", resume: cabin.state === "paused", close: !has && cabin.state !== "closed",
  };
  for (const b of document.querySelectorAll("[data-action]")) b.disabled = !enabled[b.dataset.action];
  $("call-specific").disabled = !open || has;
  $("transfer").disabled = !has;
  $("pause").disabled = !open || has;
  const queue = cabin.queue || [];
  $("queue-count").textContent = queue.length;
  $("queue").replaceChildren(...queue.map((q) => el("tr", { "data-number": q.number },
    el("td", { class: "num" }, q.number), el("td", {}, q.service_name), el("td", {}, q.priority ? "Ưu tiên" : ""),
    el("td", {}, q.issued_at.slice(11, 16)),
    el("td", {}, el("button", { class: "btn ghost", disabled: !open || has, onclick: () => act("call", { ticket: q.id }) }, "Gọi")))));
}

async function refresh() {
  if (!session) return;
  const answer = await getJSON(`/api/v1/cabins/${session.cabin}`);
  if (answer.ok) { cabin = answer.body; render(); }
}
const refreshSoon = debounce(refresh, 150);

async function enter() {
  $("login-panel").hidden = true; $("desk").hidden = false;
  $("who").textContent = `${session.user.name} (${session.user.username}) · Quầy ${session.cabin}`;
  if (!services.length) {
    const answer = await getJSON("/api/v1/services");
    services = answer.ok ? answer.body.services : [];
    $("transfer-service").append(...services.map((s) => el("option", { value: s.code }, s.name)));
  }
  await refresh();
}
function logout() {
  sessionStorage.removeItem(SESSION_KEY); session = null; cabin = null;
  $("desk").hidden = true; $("login-panel").hidden = false; $("who").textContent = "";
}

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const answer = await getJSON("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("username").value.trim(), password: $("password").value }) });
  if (!answer.ok) { alert("Sai tên đăng nhập hoặc mật khẩu."); return; }
  const chosen = Number($("cabin-choice").value) || answer.body.user.cabin;
  if (!chosen) { alert("Tài khoản chưa được phân công quầy: hãy nhập số quầy."); return; }
  session = { token: answer.body.token, user: answer.body.user, cabin: chosen };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  await enter();
});
for (const b of document.querySelectorAll("[data-action]")) b.addEventListener("click", () => act(b.dataset.action));
$("call-specific").addEventListener("click", () => { const v = $("specific").value.trim().toUpperCase(); if (v) act("call", { ticket: v }); });
$("transfer").addEventListener("click", () => {
  const body = {}; if ($("transfer-service").value) body.service = $("transfer-service").value;
  if ($("transfer-cabin").value) body.cabin = Number($("transfer-cabin").value);
  act("transfer", body);
});
$("pause").addEventListener("click", () => act("pause", { reason: $("pause-reason").value }));
$("logout").addEventListener("click", logout);

connect("officer", {
  onStatus: statusBadge(),
  onSnapshot() { refreshSoon(); },
  onDelta(delta) { refreshSoon(); },
});
if (session) enter();
