import { connect, el, debounce, getJSON, statusBadge, hallTime, hallDate, minutesText, CABIN_STATES, loadMessages, t } from "/static/live.js";

await loadMessages();

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const live = { services: new Map(), cabins: new Map() };

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
function widthOf(id) { return Math.max(360, $(id).clientWidth - 8); }
const fault = (f) => { const key = `fault.${f}`, text = t(key); return text === key ? f : text; };
function label(s) { const p = "Tiếp nhận hồ sơ – "; return s.name.startsWith(p) ? s.department_name : s.name; }

function renderNow() {
  const now = sock.now() / 1000;
  const queues = [...live.services.values()].map((s) => {
    const longest = s.oldest_waiting_since ? Math.max(0, (now - s.oldest_waiting_since) / 60) : 0;
    return { ...s, longest, over: !!s.oldest_waiting_since && longest > s.target_wait_minutes };
  }).sort((a, b) => b.longest - a.longest || b.waiting - a.waiting || label(a).localeCompare(label(b), "vi"));
  $("queues").replaceChildren(...queues.slice(0, 14).map((q) => el("tr", { "data-service": q.code },
    el("td", {}, label(q)), el("td", { class: "n" }, q.waiting),
    el("td", { class: "n" + (q.over ? " over" : "") }, q.waiting ? minutesText(q.longest) : "—"),
    el("td", { class: "n" }, minutesText(q.target_wait_minutes)),
    el("td", { class: "n" }, q.waiting ? minutesText(q.estimated_wait_minutes) : "—"))));
  const counts = { open: 0, paused: 0, closed: 0 };
  for (const c of live.cabins.values()) counts[c.state] = (counts[c.state] || 0) + 1;
  $("c-waiting").textContent = queues.reduce((n, q) => n + q.waiting, 0);
  $("c-cabins").textContent = `${counts.open} / ${counts.paused} / ${counts.closed}`;
  $("c-over").textContent = queues.filter((q) => q.over).length;
  $("cabins").replaceChildren(...[...live.cabins.values()].sort((a, b) => a.number - b.number).map((c) =>
    el("div", { class: c.state, title: t("dashboard.cabin_tip", { cabin: c.number, state: (CABIN_STATES[c.state] || c.state) + (c.pause_reason ? `: ${c.pause_reason}` : "") }) + (c.ticket ? ` – ${t("dashboard.cabin_ticket", { number: c.ticket.number })}` : ""), "data-cabin": c.number }, c.number)));
  $("time").textContent = hallTime(sock.now()); $("date").textContent = hallDate(sock.now());
}

function barsHourly(hours, W) {
  const H = 240, pad = 30, n = hours.length || 1, bw = Math.min(90, (W - pad * 2) / n);
  const maxA = Math.max(1, ...hours.map((h) => Math.max(h.arrivals, h.served)));
  const maxW = Math.max(1, ...hours.map((h) => h.avg_wait_minutes || 0));
  const g = svg("svg", { viewBox: `0 0 ${W} ${H + 40}`, width: W, height: H + 40 });
  hours.forEach((h, i) => {
    const x = pad + i * bw, ha = (h.arrivals / maxA) * H, hs = (h.served / maxA) * H;
    g.append(svg("rect", { x: x + 4, y: H - ha, width: bw / 2 - 6, height: ha, fill: "#4fc3f7" }, svg("title", {}, t("dashboard.arrivals_at", { hour: h.hour, count: h.arrivals }))));
    g.append(svg("rect", { x: x + bw / 2, y: H - hs, width: bw / 2 - 6, height: hs, fill: "#3ddc84" }, svg("title", {}, t("dashboard.served_at", { hour: h.hour, count: h.served }))));
    g.append(svg("text", { x: x + bw / 2, y: H + 18, "text-anchor": "middle" }, `${h.hour}h`));
  });
  const pts = hours.map((h, i) => `${pad + i * bw + bw / 2},${H - ((h.avg_wait_minutes || 0) / maxW) * H}`).join(" ");
  g.append(svg("polyline", { points: pts, fill: "none", stroke: "#ffd23f", "stroke-width": 3 }));
  g.append(svg("text", { x: pad, y: H + 36 }, t("dashboard.hourly_legend", { minutes: Math.round(maxW) })));
  return g;
}

function barsAgencies(agencies, parts, unit, W) {
  const rowH = 22, left = 330, H = agencies.length * rowH + 10;
  const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H });
  const max = unit === "%" ? 100 : Math.max(1, ...agencies.map((a) => parts.reduce((n, p) => n + (a[p.key] || 0), 0)));
  agencies.forEach((a, i) => {
    const y = 4 + i * rowH;
    g.append(svg("text", { x: left - 8, y: y + 15, "text-anchor": "end" }, a.name.length > 42 ? a.name.slice(0, 41) + "…" : a.name));
    let x = left;
    for (const p of parts) {
      const v = a[p.key] || 0, w = (v / max) * (W - left - 60);
      if (w > 0) g.append(svg("rect", { x, y, width: w, height: rowH - 6, fill: p.color }, svg("title", {}, `${a.name}: ${p.name} ${v}${unit}`)));
      x += w;
    }
    const total = unit === "%" ? (a[parts[0].key] === null || a[parts[0].key] === undefined ? "—" : `${a[parts[0].key].toFixed(0)}%`) : parts.reduce((n, p) => n + (a[p.key] || 0), 0);
    g.append(svg("text", { x: x + 6, y: y + 15 }, total));
  });
  return g;
}

async function loadStats() {
  const [today, hourly, devices] = await Promise.all([
    getJSON("/api/v1/stats/today"), getJSON(`/api/v1/stats/hourly?day=${sock.day || ""}`), getJSON("/api/v1/devices"),
  ]);
  const missing = [];
  if (today.ok && today.body && today.body.agencies) {
    const hall = today.body.hall || {};
    $("c-served").textContent = hall.served ?? "—";
    $("c-satisfaction").textContent = hall.satisfaction_pct === null || hall.satisfaction_pct === undefined ? "—" : `${hall.satisfaction_pct.toFixed(1).replace(".", ",")}%`;
    const agencies = today.body.agencies.slice().sort((a, b) => (a.rank ?? 999) - (b.rank ?? 999));
    $("chart-satisfaction").replaceChildren(barsAgencies(agencies, [{ key: "satisfaction_pct", name: t("dashboard.satisfied"), color: "#3ddc84" }], "%", widthOf("chart-satisfaction")));
    $("chart-timeliness").replaceChildren(barsAgencies(agencies, [
      { key: "returned_early", name: t("timeliness.early"), color: "#4fc3f7" }, { key: "returned_on_time", name: t("timeliness.on_time"), color: "#3ddc84" },
      { key: "returned_late", name: t("timeliness.late"), color: "#ff5a5f" }, { key: "overdue_pending", name: t("timeliness.overdue_pending"), color: "#ff9f1c" }], "", widthOf("chart-timeliness")));
  } else missing.push(t("dashboard.missing_today", { status: today.status }));
  if (hourly.ok && hourly.body && hourly.body.hours) $("chart-hourly").replaceChildren(barsHourly(hourly.body.hours, widthOf("chart-hourly")));
  else missing.push(t("dashboard.missing_hourly", { status: hourly.status }));
  if (devices.ok && devices.body) {
    const list = Array.isArray(devices.body) ? devices.body : devices.body.devices || [];
    // Real faults (paper, cover, failed print) first; devices merely offline are summed up.
    const faulty = list.filter((d) => (d.faults || []).some((f) => f !== "offline"));
    const offline = list.filter((d) => (d.faults || []).includes("offline") || d.status === "offline");
    const rows = faulty.slice(0, 10).map((d) => el("tr", { "data-device": d.id }, el("td", {}, d.id), el("td", {}, d.cabin ? t("hall.cabin_n", { cabin: d.cabin }) : ""),
      el("td", { class: "over" }, d.faults.map(fault).join(", "))));
    $("devices").replaceChildren(
      rows.length ? el("table", {}, el("tbody", {}, ...rows)) : el("div", {}, t("dashboard.no_faults")),
      faulty.length > 10 ? el("div", {}, t("dashboard.more_faults", { count: faulty.length - 10 })) : "",
      el("div", { class: offline.length ? "over" : "" }, t("dashboard.offline", { offline: offline.length, total: list.length })));
  } else if (devices.status === 401) $("devices").textContent = t("dashboard.devices_staff_only");  // staff only (docs/security.md)
  else missing.push(t("dashboard.missing_devices", { status: devices.status }));
  $("unavailable").hidden = !missing.length;
  $("unavailable").textContent = missing.length ? t("dashboard.missing", { what: missing.join("; ") }) : "";
  document.body.dataset.stats = missing.length ? "missing" : "ok";
}
const loadSoon = debounce(loadStats, 2000);

const sock = connect("dashboard", {
  onStatus: statusBadge(),
  onSnapshot(snap) {
    $("hall-name").textContent = snap.hall.name;
    sock.day = snap.hall.day;
    live.services = new Map(snap.services.map((s) => [s.code, s]));
    live.cabins = new Map(snap.cabins.map((c) => [c.number, c]));
    renderNow(); loadStats();
  },
  onDelta(delta) {
    for (const s of delta.services) live.services.set(s.code, s);
    for (const c of delta.cabins) live.cabins.set(c.number, c);
    renderNow(); loadSoon();
  },
});
setInterval(renderNow, 5000);
