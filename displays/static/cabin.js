import { connect, statusBadge, CABIN_STATES, loadMessages, t } from "/static/live.js";

await loadMessages();

const number = Number(location.pathname.split("/").pop());
const $ = (id) => document.getElementById(id);
$("cabin-number").textContent = number;
document.title = t("cabin.title", { cabin: number });

function render(cabin) {
  if (!cabin) return;
  $("dept").textContent = cabin.department_name;
  $("officer").textContent = cabin.officer_name ? t("cabin.officer", { name: cabin.officer_name }) : "";
  const ticket = cabin.ticket;
  $("number").textContent = ticket ? ticket.number : "—";
  $("number").dataset.number = ticket ? ticket.number : "";
  $("label").textContent = ticket ? (ticket.state === "serving" ? t("cabin.serving") : t("citizen.call_label")) : (cabin.state === "open" ? t("cabin.ready") : "");
  let state = CABIN_STATES[cabin.state] || cabin.state;
  if (cabin.state === "paused" && cabin.pause_reason) state += `: ${cabin.pause_reason}`;
  $("state").textContent = state;
  $("state").className = `state ${cabin.state}`;
  $("state").dataset.state = cabin.state;
  document.body.className = `cabin ${cabin.state}`;
}

connect(`cabin/${number}`, {
  onStatus: statusBadge(),
  onSnapshot(snap) { render(snap.cabins.find((c) => c.number === number)); },
  onDelta(delta) { render(delta.cabins.find((c) => c.number === number)); },
});
