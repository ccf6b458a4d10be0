import { connect, el, debounce, getJSON, statusBadge, hallTime, hallDate, loadMessages } from "/static/live.js";

await loadMessages();

const $ = (id) => document.getElementById(id);
const live = { services: new Map(), cabins: new Map(), departments: [] };
let stats = null;

function dash(v, suffix = "") { return v === null || v === undefined ? "—" : `${v}${suffix}`; }
function pct(v) { return v === null || v === undefined ? "—" : `${v.toFixed(1).replace(".", ",")}%`; }
function waitingBy() {
  const out = new Map();
  for (const s of live.services.values()) out.set(s.department, (out.get(s.department) || 0) + s.waiting);
  return out;
}

function row(a, waiting, rankCell) {
  const onTime = (a.returned_early || 0) + (a.returned_on_time || 0);
  return el("tr", { "data-agency": a.code },
    el("td", {}, rankCell), el("td", { class: "name" }, a.name),
    el("td", {}, dash(a.dossiers_received)), el("td", { class: "good" }, stats ? onTime : "—"),
    el("td", { class: a.returned_late ? "bad" : "" }, dash(a.returned_late)),
    el("td", { class: a.overdue_pending ? "bad" : "" }, dash(a.overdue_pending)),
    el("td", { class: a.satisfaction_pct !== null && a.satisfaction_pct !== undefined && a.satisfaction_pct < 80 ? "bad" : "good" }, pct(a.satisfaction_pct)),
    el("td", {}, dash(a.served)), el("td", {}, a.avg_wait_minutes === null || a.avg_wait_minutes === undefined ? "—" : `${Math.round(a.avg_wait_minutes)} phút`),
    el("td", {}, waiting));
}

function render() {
  const waiting = waitingBy();
  let agencies;
  if (stats) agencies = stats.agencies.slice().sort((a, b) => (a.rank ?? 999) - (b.rank ?? 999));
  else agencies = live.departments.map((d) => ({ code: d.code, name: d.name }));
  $("rows").replaceChildren(...agencies.map((a) => row(a, waiting.get(a.code) || 0, stats ? dash(a.rank) : "—")));
  if (stats && stats.hall) {
    const all = [...waiting.values()].reduce((x, y) => x + y, 0);
    $("totals").replaceChildren(row({ ...stats.hall, code: "hall", name: "Toàn Trung tâm" }, all, ""));
  } else $("totals").replaceChildren();
}

async function loadStats() {
  const answer = await getJSON("/api/v1/stats/today");
  if (answer.ok && answer.body && Array.isArray(answer.body.agencies)) {
    stats = answer.body;
    $("unavailable").hidden = true;
    $("day").textContent = stats.day.split("-").reverse().join("/");
  } else {
    stats = null;  // never invent numbers: show the queue only and say why
    $("unavailable").hidden = false;
    $("unavailable").textContent = answer.status === 404
      ? "Số liệu thống kê trong ngày chưa có trên máy chủ (GET /api/v1/stats/today trả về 404). Bảng chỉ hiển thị số người đang chờ."
      : `Chưa lấy được số liệu thống kê (mã ${answer.status}); sẽ thử lại khi có thay đổi.`;
    document.body.dataset.stats = `missing-${answer.status}`;
  }
  if (stats) document.body.dataset.stats = "ok";
  $("updated").textContent = hallTime(sock.now(), false);
  render();
}
const loadSoon = debounce(loadStats, 1500);

const sock = connect("board", {
  onStatus: statusBadge(),
  onSnapshot(snap) {
    $("hall-name").textContent = snap.hall.name;
    $("day").textContent = hallDate(snap.now * 1000);
    live.services = new Map(snap.services.map((s) => [s.code, s]));
    live.departments = snap.agencies_now;
    render();
    loadStats();
  },
  onDelta(delta) {
    for (const s of delta.services) live.services.set(s.code, s);
    render();
    loadSoon();
  },
});
