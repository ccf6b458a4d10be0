// The tracking page offers the browser's own notification: once the citizen allows it, a
// notification is shown when the ticket has `near` (the hall's number for its service) or fewer
// people ahead, and again when it is called. The page sends a "ticket" DOM event per update.
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
function update(t) {
  last = t;
  button.hidden = !supported() || wanted || !["waiting", "called"].includes(t.state);
  if (t.state === "waiting" && t.ahead <= t.near) tell(`${t.id}:near`, `Số ${t.number} sắp đến lượt`, `Còn ${t.ahead} người phía trước. Mời quý khách về khu chờ.`);
  if (t.state === "called" && t.cabin) tell(`${t.id}:called`, `Mời số ${t.number}`, `Mời đến quầy ${t.cabin}.`);
}

button.addEventListener("click", async () => {
  const permission = await Notification.requestPermission();
  wanted = permission === "granted";
  note.textContent = wanted ? "Sẽ báo khi sắp đến lượt." : "Trình duyệt không cho phép thông báo.";
  if (last) update(last);
});
document.addEventListener("ticket", (event) => update(event.detail));
