import { HALL_BASE } from "/static/live.js";

// A barcode scanner types the code and presses Enter, so the form's submit is the scan.
const STATUS = {
  received: "Đã tiếp nhận", processing: "Đang giải quyết", ready: "Đã có kết quả, mời nhận",
  returned: "Đã trả kết quả", supplement_requested: "Cần bổ sung hồ sơ", refused: "Từ chối giải quyết",
};
const OUTCOME = { early: "trước hạn", on_time: "đúng hạn", late: "trễ hạn" };
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
  result.textContent = "Đang tra cứu…";
  try {
    const answer = await fetch(HALL_BASE + "/api/v1/dossiers/" + encodeURIComponent(code));
    const body = await answer.json();
    result.textContent = "";
    if (!answer.ok) {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = answer.status === 404 ? `Không tìm thấy hồ sơ ${code}.` : body.error.message;
      result.append(p);
      return;
    }
    const list = document.createElement("dl");
    list.append(
      ...row("Mã hồ sơ", body.code),
      ...row("Cơ quan giải quyết", body.department_name),
      ...row("Thủ tục", body.procedure_name),
      ...row("Tình trạng", STATUS[body.status] || body.status, "status" + (body.overdue || body.outcome === "late" ? " late" : "")),
      ...row("Ngày tiếp nhận", vnDate(body.received_at)),
      ...row("Ngày hẹn trả", vnDate(body.due)),
    );
    if (body.new_due) list.append(...row("Ngày hẹn trả mới (đã có phiếu xin lỗi)", vnDate(body.new_due)));
    if (body.returned_on) list.append(...row("Đã trả ngày", vnDate(body.returned_on) + " — " + (OUTCOME[body.outcome] || "")));
    else if (body.overdue) list.append(...row("Lưu ý", "Hồ sơ đã quá hạn hẹn trả", "late"));
    result.append(list);
  } catch (err) {
    result.textContent = "Không kết nối được máy chủ, vui lòng thử lại.";
  }
  input.select();
}

form.addEventListener("submit", (event) => { event.preventDefault(); lookup(input.value); });
const fromPath = decodeURIComponent(location.pathname.slice(HALL_BASE.length).replace(/^\/dossier\/?/, ""));
if (fromPath) { input.value = fromPath; lookup(fromPath); }
