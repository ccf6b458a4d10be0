// /book: agency → service → day → slot → name and phone → confirmation with the QR code.
// /book/CODE: that booking (what its QR code opens): its state, its QR code, cancelling it.
// Words come from the message catalogue of the page's language (?lang=en; displays/messages).
import { el, getJSON, loadMessages, t, HALL_BASE } from "/static/live.js";

await loadMessages();

const $ = (id) => document.getElementById(id);
const STEPS = ["agency", "service", "day", "slot", "contact", "done"];
const WEEKDAYS = t("book.weekdays").split(",");
const ERRORS = ["slot_full", "already_booked", "invalid_phone", "slot_passed", "wrong_phone"];
const history = [];
let services = [], choice = {};

function show(step, title) {
  for (const s of STEPS) $(`step-${s}`).hidden = s !== step;
  if (title) $("title").textContent = title;
  $("error").classList.remove("show");
  $("back").hidden = step === "agency" || step === "done";
}
function go(step, title, render) {
  history.push(() => { render(); show(step, title); });
  render();
  show(step, title);
}
function fail(body) {
  const code = body && body.error && body.error.code;
  $("error").textContent = ERRORS.includes(code) ? t(`book.error.${code}`) : (body && body.error && body.error.message) || t("book.failed");
  $("error").classList.add("show");
}

function agencies() {
  const seen = new Map();
  for (const s of services.filter((s) => s.booking)) {
    if (!seen.has(s.department)) seen.set(s.department, { code: s.department, name: s.department_name, services: [] });
    seen.get(s.department).services.push(s);
  }
  return [...seen.values()];
}
function chooseAgency() {
  go("agency", t("book.title"), () => $("agencies").replaceChildren(...agencies().map((a) =>
    el("button", { class: "choice", "data-agency": a.code, onclick: () => chooseService(a) }, a.name))));
}
function chooseService(agency) {
  choice.agency = agency;
  go("service", agency.name, () => $("services").replaceChildren(...agency.services.map((s) =>
    el("button", { class: "choice", "data-service": s.code, onclick: () => chooseDay(s) }, s.name))));
}
async function chooseDay(service) {
  choice.service = service;
  const answer = await getJSON(`/api/v1/services/${encodeURIComponent(service.code)}/booking-days`);
  if (!answer.ok) return fail(answer.body);
  go("day", service.name, () => $("days").replaceChildren(...answer.body.days.map(({ date, free }) => {
    const d = new Date(`${date}T00:00:00Z`);
    return el("button", { class: "choice", "data-day": date, disabled: free === 0, onclick: () => chooseSlot(date) },
      `${WEEKDAYS[d.getUTCDay()]} ${date.slice(8, 10)}/${date.slice(5, 7)}`, el("small", {}, free ? t("book.free", { free }) : t("book.full")));
  })));
}
async function chooseSlot(day) {
  choice.day = day;
  const answer = await getJSON(`/api/v1/services/${encodeURIComponent(choice.service.code)}/slots?date=${day}`);
  if (!answer.ok) return fail(answer.body);
  const slots = answer.body.slots;
  go("slot", `${choice.service.name} · ${day.split("-").reverse().join("/")}`, () => $("slots").replaceChildren(
    ...(slots.length ? slots.map((s) => el("button", { class: "choice", "data-slot": s.start, disabled: s.free === 0,
      onclick: () => contact(s) }, `${s.start}–${s.end}`, el("small", {}, s.free ? t("book.free", { free: s.free }) : t("book.full"))))
      : [el("p", { class: "muted" }, t("book.no_slots"))])));
}
function contact(slot) {
  choice.slot = slot;
  go("contact", t("book.contact"), () => {
    $("chosen").textContent = `${choice.service.name} · ${choice.day.split("-").reverse().join("/")} · ${slot.start}–${slot.end}`;
  });
}
async function book(event) {
  event.preventDefault();
  $("confirm").disabled = true;
  const body = { service: choice.service.code, date: choice.day, start: choice.slot.start, phone: $("phone").value, name: $("name").value };
  const answer = await getJSON("/api/v1/appointments", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  $("confirm").disabled = false;
  if (!answer.ok) return fail(answer.body);
  window.history.pushState({}, "", `${HALL_BASE}/book/${answer.body.code}${location.search}`);
  confirmation(answer.body);
}
function confirmation(a) {
  show("done", t("book.done"));
  $("code").textContent = a.code;
  $("when").textContent = `${a.date.split("-").reverse().join("/")} · ${a.start}–${a.end}`;
  $("where").textContent = `${a.service_name} – ${a.department_name}`;
  $("state").textContent = t(`book.state.${a.state}`);
  document.body.dataset.state = a.state;
  $("qr").src = `${HALL_BASE}/api/v1/appointments/${encodeURIComponent(a.code)}/qr.svg`;
  $("cancel-form").hidden = a.state !== "booked";
  if (a.ticket) { $("ticket").hidden = false; $("ticket").href = `${HALL_BASE}/track/${a.ticket}${location.search}`; $("ticket").textContent = t("book.track"); }
}
async function cancel(event) {
  event.preventDefault();
  const code = $("code").textContent;
  const answer = await getJSON(`/api/v1/appointments/${encodeURIComponent(code)}/cancel`, { method: "POST",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ phone: $("cancel-phone").value }) });
  if (!answer.ok) return fail(answer.body);
  confirmation(answer.body);
}

$("contact").addEventListener("submit", book);
$("cancel-form").addEventListener("submit", cancel);
$("back").addEventListener("click", () => { history.pop(); const previous = history.pop(); if (previous) { history.push(previous); previous(); } });

const code = location.pathname.slice(HALL_BASE.length).split("/")[2];
if (code) {
  const answer = await getJSON(`/api/v1/appointments/${encodeURIComponent(code)}`);
  if (answer.ok) confirmation(answer.body); else fail(answer.body);
} else {
  const answer = await getJSON("/api/v1/services");
  services = answer.ok ? answer.body.services : [];
  chooseAgency();
}
