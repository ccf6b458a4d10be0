import { connect, el, hallTime, hallDate, minutesText, statusBadge, loadMessages, pagedList, reducedMotion, t } from "/static/live.js";

await loadMessages();

const SILENT_PLAY_MS = 6000;
const view = { services: new Map(), cabins: new Map(), calls: [], notices: [] };
const $ = (id) => document.getElementById(id);
let announcing = null;

function label(service) {
  const prefix = "Tiếp nhận hồ sơ – ";
  return service.name.startsWith(prefix) ? service.department_name : service.name;
}
const serviceLabel = (code) => (view.services.get(code) ? label(view.services.get(code)) : "");

// The newest call is always on screen (its own box); older calls fill what is left under it,
// the queues turn page by page so that every one is seen within 30 s.
const recent = pagedList($("recent-frame"), $("recent"), (c) => el("tr", { "data-number": c.number, "data-cabin": c.cabin },
  el("td", { class: "num" }, c.number), el("td", { class: "svc" }, serviceLabel(c.service)),
  el("td", { class: "cabin num" }, t("hall.cabin_n", { cabin: c.cabin }))), { rotate: false });
const waiting = pagedList($("waiting-frame"), $("waiting"), (s) => el("tr", { "data-service": s.code },
  el("td", {}, label(s)), el("td", { class: "n big" }, s.waiting),
  el("td", { class: "n" }, s.waiting ? `~${minutesText(s.estimated_wait_minutes)}` : "—")),
{ onPage: (page, pages) => { $("waiting-page").textContent = pages > 1 ? t("screen.page", { page, pages }) : ""; } });

function renderCalls() {
  const latest = announcing || view.calls[0];
  const box = $("latest");
  box.replaceChildren();
  if (!latest) {
    box.className = "latest empty"; box.dataset.number = ""; box.textContent = t("citizen.no_call_yet");
  } else {
    box.className = "latest" + (announcing ? " flash" : "");
    box.dataset.number = latest.number; box.dataset.cabin = latest.cabin;
    box.append(
      el("div", {}, el("div", { class: "label" }, t("citizen.call_label")), el("div", { class: "number num" }, latest.number)),
      el("div", { class: "to" }, el("div", { class: "label" }, t("citizen.to_cabin")), el("div", { class: "cabin num" }, latest.cabin)),
      el("div", { class: "service" }, serviceLabel(latest.service)),
    );
  }
  recent.update(view.calls.filter((c) => c !== latest && !(latest && c.number === latest.number && c.cabin === latest.cabin)));
}

// Queues in a fixed order (by name), so that a page turn never skips one whose count changed.
function renderWaiting() {
  waiting.update([...view.services.values()].sort((a, b) => label(a).localeCompare(label(b), "vi")));
}

// Notices scroll by; with reduced motion they are shown one at a time instead.
let noticeTimer = null;
function renderNotices(settings) {
  clearInterval(noticeTimer);
  const box = $("notices");
  if (!reducedMotion() || view.notices.length < 2) { box.textContent = view.notices.join("   •   "); return; }
  box.classList.add("still");
  let i = 0;
  box.textContent = view.notices[0];
  noticeTimer = setInterval(() => { i = (i + 1) % view.notices.length; box.textContent = view.notices[i]; }, settings.rotate_seconds * 1500);
}

function addCall(data, at) {
  view.calls = view.calls.filter((c) => c.number !== data.number);  // public views name tickets by number only
  view.calls.unshift({ number: data.number, cabin: data.cabin, service: data.service, at });
  view.calls.length = Math.min(view.calls.length, 12);
}

// This TV plays the calls unless it is muted with ?audio=0 (a second TV in the same hall).
const live = connect(new URLSearchParams(location.search).get("audio") === "0" ? "hall" : "hall?audio=1", {
  onStatus: statusBadge(),
  onSnapshot(snap) {
    $("hall-name").textContent = snap.hall.name;
    view.services = new Map(snap.services.map((s) => [s.code, s]));
    view.cabins = new Map(snap.cabins.map((c) => [c.number, c]));
    view.calls = snap.calls.slice();
    view.notices = snap.notices;
    waiting.configure(snap.display);
    renderNotices(snap.display);
    renderCalls(); renderWaiting();
  },
  onDelta(delta) {
    for (const s of delta.services) view.services.set(s.code, s);
    for (const c of delta.cabins) view.cabins.set(c.number, c);
    for (const e of delta.events) {
      if (e.type === "ticket_called" || e.type === "ticket_recalled") addCall(e.data, e.at);
      else if (e.type === "ticket_transferred" || e.type === "ticket_cancelled") view.calls = view.calls.filter((c) => c.number !== e.data.number);
      else if (e.type === "day_opened") view.calls = [];
    }
    renderCalls(); renderWaiting();
  },
  onFrame(frame) {
    if (frame.t === "announce") { voiceQueue.push(frame); playNext(); }
  },
});

// ---- the voice: announcements arrive in order from the server, one at a time -------------------
const voiceQueue = [];
const audio = $("voice");
function playNext() {
  if (announcing || !voiceQueue.length) return;
  const a = voiceQueue.shift();
  announcing = { number: a.number, cabin: a.cabin, id: a.id, service: (view.calls.find((c) => c.number === a.number) || {}).service };
  renderCalls();
  let finished = false;
  const done = () => {
    if (finished) return;
    finished = true;
    live.send({ t: "played", id: a.id });
    announcing = null;
    renderCalls();
    playNext();
  };
  const silent = () => setTimeout(done, SILENT_PLAY_MS);  // no sound possible: show it, then move on
  if (!a.audio) { silent(); return; }
  audio.onended = done;
  audio.onerror = silent;
  audio.src = a.audio;
  audio.play().then(() => $("sound").classList.remove("show")).catch(() => { $("sound").classList.add("show"); silent(); });
}
document.body.addEventListener("click", () => { $("sound").classList.remove("show"); if (!announcing) { audio.play().catch(() => {}); audio.pause(); } });

function tick() { const now = live.now(); $("time").textContent = hallTime(now); $("date").textContent = hallDate(now); }
tick(); setInterval(tick, 1000);
