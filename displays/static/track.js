import { connect, statusBadge, minutesText, TICKET_STATES, loadMessages } from "/static/live.js";

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
  $("called").textContent = called ? `Số ${t.number} đang được mời đến quầy ${t.cabin}` : (t.state === "serving" ? `Đang phục vụ tại quầy ${t.cabin}` : "");
  $("called").classList.toggle("show", !!(called || t.state === "serving"));
  if (called && navigator.vibrate) navigator.vibrate([300, 150, 300]);
}

connect(`track/${encodeURIComponent(ticketId)}`, {
  onStatus: statusBadge(),
  onSnapshot(snap) { render(snap.ticket); },
  onTicket(frame) { render(frame.ticket); },
  onGone() { $("number").textContent = "—"; $("note").textContent = "Không tìm thấy số thứ tự này. Xin kiểm tra lại mã trên phiếu."; },
});
