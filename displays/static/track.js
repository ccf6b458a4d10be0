import { connect, statusBadge, minutesText, TICKET_STATES, loadMessages, t as say } from "/static/live.js";

await loadMessages();

const $ = (id) => document.getElementById(id);
const ticketId = decodeURIComponent(location.pathname.split("/").pop());

function render(t) {
  $("number").textContent = t.number;
  $("service").textContent = t.service_name;
  $("state").textContent = TICKET_STATES[t.state] || t.state;
  document.body.dataset.state = t.state;
  const waiting = t.state === "waiting";
  $("ahead").textContent = waiting ? t.ahead : "—";
  $("wait").textContent = waiting ? (t.estimate ? `${minutesText(t.estimate.low)} – ${minutesText(t.estimate.high)}`.replace(" phút –", " –") : minutesText(t.estimated_wait_minutes)) : "—";
  $("issued").textContent = t.issued_at.slice(11, 16);
  const called = t.state === "called" && t.cabin;
  $("called").textContent = called ? say("citizen.called_at", { number: t.number, cabin: t.cabin }) : (t.state === "serving" ? say("citizen.serving_at", { cabin: t.cabin }) : "");
  $("called").classList.toggle("show", !!(called || t.state === "serving"));
  if (called && navigator.vibrate) navigator.vibrate([300, 150, 300]);
  document.dispatchEvent(new CustomEvent("ticket", { detail: t }));  // /static/track-near.js
}

connect(`track/${encodeURIComponent(ticketId)}`, {
  onStatus: statusBadge(),
  onSnapshot(snap) { render(snap.ticket); },
  onTicket(frame) { render(frame.ticket); },
  onGone() { $("number").textContent = "—"; $("note").textContent = say("citizen.ticket_not_found"); },
});
