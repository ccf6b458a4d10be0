// /book: agency → service → day → slot → name and phone → confirmation with the QR code.
// /book/CODE: that booking (what its QR code opens): its state, its QR code, cancelling it.
import { el, getJSON } from "/static/live.js";

const $ = (id) => document.getElementById(id);
const STEPS = ["agency", "service", "day", "slot", "contact", "done"];
const WEEKDAYS = ["CN", "T2", "T3", "T4", "T5", "T6", "T7"];
const STATES = { booked: "Đã đặt", cancelled: "Đã hủy", checked_in: "Đã nhận số", missed: "Đã lỡ hẹn" };
const ERRORS = {
  slot_full: "Khung giờ này vừa hết chỗ, xin chọn giờ khác.",
  already_booked: "Số điện thoại này đã có lịch hẹn cho thủ tục này trong ngày.",
  invalid_phone: "Số điện thoại di động chưa đúng (10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09).",
  slot_passed: "Khung giờ này đã qua, xin chọn giờ khác.",
  wrong_phone: "Số điện thoại không khớp với lịch hẹn.",
};
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
  $("error").textContent = ERRORS[code] || (body && body.error && body.error.message) || "Có lỗi, xin thử lại.";
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
  go("agency", "Đặt lịch hẹn", () => $("agencies").replaceChildren(...agencies().map((a) =>
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
      `${WEEKDAYS[d.getUTCDay()]} ${date.slice(8, 10)}/${date.slice(5, 7)}`, el("small", {}, free ? `còn ${free} chỗ` : "hết chỗ"));
  })));
}
async function chooseSlot(day) {
  choice.day = day;
  const answer = await getJSON(`/api/v1/services/${encodeURIComponent(choice.service.code)}/slots?date=${day}`);
  if (!answer.ok) return fail(answer.body);
  const slots = answer.body.slots;
  go("slot", `${choice.service.name} · ${day.split("-").reverse().join("/")}`, () => $("slots").replaceChildren(
    ...(slots.length ? slots.map((s) => el("button", { class: "choice", "data-slot": s.start, disabled: s.free === 0,
      onclick: () => contact(s) }, `${s.start}–${s.end}`, el("small", {}, s.free ? `còn ${s.free} chỗ` : "hết chỗ")))
      : [el("p", { class: "muted" }, "Ngày này không nhận lịch hẹn (ngày nghỉ hoặc đã hết giờ).")])));
}
function contact(slot) {
  choice.slot = slot;
  go("contact", "Thông tin liên hệ", () => {
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
  window.history.pushState({}, "", `/book/${answer.body.code}`);
  confirmation(answer.body);
}
function confirmation(a) {
  show("done", "Đã đặt lịch");
  $("code").textContent = a.code;
  $("when").textContent = `${a.date.split("-").reverse().join("/")} · ${a.start}–${a.end}`;
  $("where").textContent = `${a.service_name} – ${a.department_name}`;
  $("state").textContent = STATES[a.state] || a.state;
  document.body.dataset.state = a.state;
  $("qr").src = `/api/v1/appointments/${encodeURIComponent(a.code)}/qr.svg`;
  $("cancel-form").hidden = a.state !== "booked";
  if (a.ticket) { $("ticket").hidden = false; $("ticket").href = `/track/${a.ticket}`; $("ticket").textContent = "Theo dõi số thứ tự"; }
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

const code = location.pathname.split("/")[2];
if (code) {
  const answer = await getJSON(`/api/v1/appointments/${encodeURIComponent(code)}`);
  if (answer.ok) confirmation(answer.body); else fail(answer.body);
} else {
  const answer = await getJSON("/api/v1/services");
  services = answer.ok ? answer.body.services : [];
  chooseAgency();
}
