import { connect, el, getJSON, statusBadge, minutesText, loadMessages, t, HALL_BASE } from "/static/live.js";
import { asAnswer, deviceLink } from "/static/kiosk-device.js";

await loadMessages();

const $ = (id) => document.getElementById(id);
const RESET_MS = 20000;
let services = [], resetTimer = null, priorities = [], priority = null, shown = null, link = null;
const device = new URLSearchParams(location.search).get("device");  // a paired browser kiosk (kiosk-device.js)

function step(name, title) {
  for (const s of ["pair", "agency", "service", "ticket", "checkin"]) $(`step-${s}`).hidden = s !== name;
  $("checkin-bar").hidden = !link || name !== "agency";
  $("title").textContent = title;
  $("error").classList.remove("show");
}
function agencies() {
  const seen = new Map();
  for (const s of services) if (!seen.has(s.department)) seen.set(s.department, { code: s.department, name: s.department_name, services: [] });
  for (const s of services) seen.get(s.department).services.push(s);
  return [...seen.values()];
}
// Priority as large touch buttons (a radio group): "Không" and one per category of the hall file.
function showPriorities() {
  const choices = [{ code: null, name: t("kiosk.priority_none") }, ...priorities];
  $("priority").replaceChildren(...choices.map((p) => el("button", {
    class: "priority", type: "button", role: "radio", "aria-checked": String(p.code === priority), "data-priority": p.code || "",
    onclick: () => { priority = p.code; showPriorities(); },
  }, p.name)));
}
function showAgencies() {
  priority = null;
  showPriorities();
  step("agency", t("kiosk.choose_agency"));
  $("step-agency").replaceChildren(...agencies().map((a) => el("button", { class: "choice", "data-agency": a.code, onclick: () => showServices(a) },
    a.name, el("small", {}, t("kiosk.waiting", { count: a.services.reduce((n, s) => n + s.waiting, 0) })))));
}
function showServices(agency) {
  step("service", agency.name);
  $("services").replaceChildren(...agency.services.map((s) => el("button", { class: "choice", "data-service": s.code, onclick: () => take(s) },
    s.name.replace(` – ${agency.name}`, ""), el("small", {}, t("kiosk.waiting_estimate", { count: s.waiting, wait: minutesText(s.estimated_wait_minutes) })))));
}
const CHECK_IN_ERRORS = ["too_early", "too_late", "unknown_appointment", "illegal_transition"];
async function take(service) {
  const body = { service: service.code, channel: "kiosk", priority };
  show(link ? asAnswer(await link.take(service.code, priority))
    : await getJSON("/api/v1/tickets", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }));
}
async function checkIn() {
  const code = $("checkin-code").value.trim().split("/").pop().toUpperCase();  // a scanned QR types the check-in address
  if (code) show(asAnswer(await link.checkIn(code)));
}
function show(answer) {
  if (!answer.ok) {
    const code = answer.body && answer.body.error && answer.body.error.code;
    $("error").textContent = code === "day_closed" || code === "hall_closed" ? t("citizen.hall_closed")
      : code === "day_full" ? t("citizen.day_full")
      : CHECK_IN_ERRORS.includes(code) ? t(`kiosk.error.${code}`) : t("citizen.take_failed");
    $("error").classList.add("show");
    return;
  }
  const ticket = answer.body;
  shown = ticket.id;
  $("t-qr").hidden = true;
  $("t-print").textContent = link ? t("kiosk.printing") : "";
  step("ticket", t("kiosk.issued"));
  $("t-number").textContent = ticket.number; $("t-service").textContent = ticket.service_name;
  $("t-ahead").textContent = ticket.ahead; $("t-wait").textContent = minutesText(ticket.estimated_wait_minutes);
  $("t-track").textContent = `${location.origin}${HALL_BASE}/track/${ticket.id}`;
  $("t-back-note").textContent = t("kiosk.back_soon", { seconds: RESET_MS / 1000 });
  clearTimeout(resetTimer); resetTimer = setTimeout(showAgencies, RESET_MS);
}
// What the server says of the print job of the ticket on screen: when it failed, the number
// stays and the tracking QR code is shown, for the citizen to photograph.
function printed(result) {
  if (result.ticket !== shown) return;
  document.body.dataset.print = result.printed ? "printed" : "failed";
  $("t-print").textContent = t(result.printed ? "kiosk.printed" : "kiosk.print_failed");
  if (!result.printed) {
    $("t-qr").src = `${HALL_BASE}/api/v1/tickets/${encodeURIComponent(result.ticket)}/qr.svg`;
    $("t-qr").hidden = false;
  }
}
$("back").addEventListener("click", showAgencies);
$("checkin-open").addEventListener("click", () => { step("checkin", t("kiosk.checkin_title")); $("checkin-code").value = ""; $("checkin-code").focus(); });
$("checkin").addEventListener("click", checkIn);
$("checkin-code").addEventListener("keydown", (event) => { if (event.key === "Enter") checkIn(); });  // scanners end with Enter
$("checkin-back").addEventListener("click", showAgencies);
$("pair").addEventListener("click", () => {
  if (!$("pair-token").value.trim()) return;
  link.pair($("pair-token").value);
  $("pair-token").value = "";
  showAgencies();
});
if (device) {
  document.body.dataset.device = device;
  link = deviceLink(device, {
    onPairing(message) {
      step("pair", t("kiosk.pair_title"));
      $("pair-device").textContent = device;
      $("pair-error").textContent = message || "";
      $("pair-error").classList.toggle("show", !!message);
    },
    onStatus(online) { document.body.dataset.paired = online ? "1" : "0"; },
    onPrint: printed,
  });
}
$("done").addEventListener("click", () => { clearTimeout(resetTimer); showAgencies(); });

const answer = await getJSON("/api/v1/priorities");
if (answer.ok) priorities = answer.body.priorities.filter((p) => p.code !== "staff");
showPriorities();

connect("kiosk", {
  onStatus: statusBadge(),
  onSnapshot(snap) { services = snap.services; if (!$("step-agency").hidden) showAgencies(); },
  onDelta(delta) {
    const byCode = new Map(delta.services.map((s) => [s.code, s]));
    services = services.map((s) => byCode.get(s.code) || s);
    if (!$("step-agency").hidden) showAgencies();
  },
});
