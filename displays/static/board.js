import { connect, el, debounce, getJSON, statusBadge, hallTime, hallDate, loadMessages, pagedList, t } from "/static/live.js";

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

// Only agencies with work today have a rank (the server leaves the others' null); equal ranks
// are shown as ties.
function rankCell(a, tied) {
  if (!stats || a.rank === null || a.rank === undefined) return "—";
  return tied.has(a.rank) ? [String(a.rank), el("small", { class: "tied" }, t("board.tied"))] : String(a.rank);
}

function row(a, waiting, rank) {
  const onTime = (a.returned_early || 0) + (a.returned_on_time || 0);
  return el("tr", { "data-agency": a.code, "data-rank": a.rank ?? "" },
    el("td", { class: "rank" }, rank), el("td", { class: "name" }, a.name),
    el("td", {}, dash(a.dossiers_received)), el("td", { class: "good" }, stats ? onTime : "—"),
    el("td", { class: a.returned_late ? "bad" : "" }, dash(a.returned_late)),
    el("td", { class: a.overdue_pending ? "bad" : "" }, dash(a.overdue_pending)),
    el("td", { class: a.satisfaction_pct !== null && a.satisfaction_pct !== undefined && a.satisfaction_pct < 80 ? "bad" : "good" }, pct(a.satisfaction_pct)),
    el("td", {}, dash(a.served)), el("td", {}, a.avg_wait_minutes === null || a.avg_wait_minutes === undefined ? "—" : t("time.minutes", { minutes: Math.round(a.avg_wait_minutes) })),
    el("td", {}, waiting));
}

let tied = new Set(), waitingNow = new Map();
const rows = pagedList($("board-frame"), $("rows"), (a) => row(a, waitingNow.get(a.code) || 0, rankCell(a, tied)),
  { onPage: (page, pages) => { $("board-page").textContent = pages > 1 ? t("screen.page", { page, pages }) : ""; } });

function render() {
  waitingNow = waitingBy();
  let agencies;
  if (stats) {
    // Ranked agencies first, by rank; then the others by name, so that each keeps its page.
    agencies = stats.agencies.slice().sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.name.localeCompare(b.name, "vi"));
    const counts = new Map();
    for (const a of agencies) if (a.rank !== null && a.rank !== undefined) counts.set(a.rank, (counts.get(a.rank) || 0) + 1);
    tied = new Set([...counts].filter(([, n]) => n > 1).map(([r]) => r));
  } else agencies = live.departments.map((d) => ({ code: d.code, name: d.name }));
  if (stats && stats.hall) {
    const all = [...waitingNow.values()].reduce((x, y) => x + y, 0);
    $("totals").replaceChildren(row({ ...stats.hall, code: "hall", name: t("board.whole_hall"), rank: null }, all, ""));
  } else $("totals").replaceChildren();
  rows.update(agencies);
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
    $("unavailable").textContent = answer.status === 404 ? t("board.no_stats") : t("board.stats_failed", { status: answer.status });
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
    rows.configure(snap.display);
    render();
    loadStats();
  },
  onDelta(delta) {
    for (const s of delta.services) live.services.set(s.code, s);
    render();
    loadSoon();
  },
});
