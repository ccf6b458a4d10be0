import { HALL_BASE, loadMessages, t } from "/static/live.js";

await loadMessages();

// A barcode scanner types the code and presses Enter, so the form's submit is the scan.
const known = (key, fallback) => { const text = t(key); return text === key ? fallback : text; };
const form = document.getElementById("lookup");
const input = document.getElementById("code");
const result = document.getElementById("result");

function vnDate(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-");
  return `${d}/${m}/${y}` + (iso.length > 10 ? " " + iso.slice(11, 16) : "");
}

function row(label, value, cls) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  const span = document.createElement("span");
  span.textContent = value;
  if (cls) span.className = cls;
  dd.append(span);
  return [dt, dd];
}

async function lookup(code) {
  code = code.trim().toUpperCase();
  if (!code) return;
  history.replaceState(null, "", "/dossier/" + encodeURIComponent(code));
  result.hidden = false;
  result.textContent = t("dossier.searching");
  try {
    const answer = await fetch(HALL_BASE + "/api/v1/dossiers/" + encodeURIComponent(code));
    const body = await answer.json();
    result.textContent = "";
    if (!answer.ok) {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = answer.status === 404 ? t("dossier.not_found", { code }) : t("dossier.failed", { code: answer.status });
      result.append(p);
      return;
    }
    const list = document.createElement("dl");
    list.append(
      ...row(t("dossier.code"), body.code),
      ...row(t("dossier.status"), known(`dossier.status.${body.status}`, body.status), "status" + (body.overdue || body.outcome === "late" ? " late" : "")),
      ...row(t("dossier.received"), vnDate(body.received_at)),
      ...row(t("dossier.due"), vnDate(body.due)),
    );
    if (body.new_due) list.append(...row(t("dossier.new_due"), vnDate(body.new_due)));
    if (body.returned_on) list.append(...row(t("dossier.returned"), vnDate(body.returned_on) + " — " + known(`timeliness.${body.outcome}`, "")));
    else if (body.overdue) list.append(...row(t("dossier.note"), t("dossier.overdue"), "late"));
    result.append(list);
  } catch (err) {
    result.textContent = t("dossier.network");
  }
  input.select();
}

form.addEventListener("submit", (event) => { event.preventDefault(); lookup(input.value); });
const fromPath = decodeURIComponent(location.pathname.slice(HALL_BASE.length).replace(/^\/dossier\/?/, ""));
if (fromPath) { input.value = fromPath; lookup(fromPath); }
