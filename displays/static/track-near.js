// The tracking page offers the browser's own notification: once the citizen allows it, a
// notification is shown when the ticket has `near` (the hall's number for its service) or fewer
// people ahead, and again when it is called. The page sends a "ticket" DOM event per update.
import { t } from "/static/live.js";

const button = document.getElementById("near-notify");
const note = document.getElementById("near-note");
const told = new Set();
let wanted = false;

function supported() { return "Notification" in window; }
function allowed() { return supported() && Notification.permission === "granted"; }

function tell(key, title, body) {
  if (!wanted || !allowed() || told.has(key)) return;
  told.add(key);
  try { new Notification(title, { body, tag: key }); } catch { /* Android Chrome needs a service worker */ }
  note.textContent = body;
}

let last = null;
function update(ticket) {
  last = ticket;
  button.hidden = !supported() || wanted || !["waiting", "called"].includes(ticket.state);
  if (ticket.state === "waiting" && ticket.ahead <= ticket.near) tell(`${ticket.id}:near`, t("track.near_title", ticket), t("track.near_body", ticket));
  if (ticket.state === "called" && ticket.cabin) tell(`${ticket.id}:called`, t("track.called_title", ticket), t("track.called_body", ticket));
}

button.addEventListener("click", async () => {
  const permission = await Notification.requestPermission();
  wanted = permission === "granted";
  note.textContent = t(wanted ? "track.notify_on" : "track.notify_denied");
  if (last) update(last);
});
document.addEventListener("ticket", (event) => update(event.detail));
