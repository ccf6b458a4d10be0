// /kiosk?device=kiosk-01: the kiosk page as a device of the hall. It speaks the device protocol
// over /ws/device in msgpack frames (docs/device-protocol.md; the vendored encoder is
// /static/msgpack.js), so a ticket taken here is a kiosk ticket with the same idempotency as a
// hardware kiosk's, and the server prints it on the kiosk's network printer.
//
// Pairing: the technician types the kiosk's device token once; the browser keeps it in
// localStorage under hall.kiosk.token[.h.<hall>].<device>. A token the server refuses is forgotten and the
// pairing form comes back.
//
// A closed socket (server restart, network, 1012/1013 from a node that stepped down or a
// standby) reconnects with exponential backoff and jitter; a request still unanswered is sent
// again, same id, once welcomed back (a retried take gets the ticket already issued), until its
// ANSWER_MS run out.

import { HALL_BASE, pageLanguage } from "/static/live.js";

// One key per hall and device: a province's halls share this origin and may name kiosks alike.
const KEY = (device) => `hall.kiosk.token${HALL_BASE.replaceAll("/", ".")}.${device}`;
const MIN_DELAY = 500, MAX_DELAY = 15000, ANSWER_MS = 15000;
const REFUSED = new Set(["unauthorized", "unsupported_version", "refused"]);

export function deviceLink(device, { onPairing, onStatus, onPrint }) {
  let socket = null, attempt = 0, counter = 0, welcomed = false, beat = null, refused = false, lastTicket = null;
  const pending = new Map();

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(MessagePack.encode(frame));
    return true;
  }
  function open() {
    const token = localStorage.getItem(KEY(device));
    if (!token) { onPairing(null); return; }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const current = socket = new WebSocket(`${scheme}//${location.host}${HALL_BASE}/ws/device`);
    socket.binaryType = "arraybuffer";
    welcomed = false;
    socket.onopen = () => send({ t: "hello", device, token, kind: "kiosk", proto: 1 });
    socket.onmessage = (msg) => { try { receive(MessagePack.decode(new Uint8Array(msg.data))); } catch { /* not msgpack: ignore */ } };
    socket.onclose = () => {
      if (socket !== current) return;
      socket = null;
      clearInterval(beat);
      onStatus(false);
      if (refused) {
        for (const [id, { resolve }] of pending) resolve({ t: "error", ref: id, code: "offline", message: "lost the server" });
        pending.clear();
        return;
      }
      const delay = Math.min(MAX_DELAY, MIN_DELAY * 2 ** attempt) * (0.75 + Math.random() / 2);
      attempt += 1;
      setTimeout(open, delay);
    };
  }
  function receive(frame) {
    if (frame.t === "welcome") {
      welcomed = true; attempt = 0;
      onStatus(true, frame);
      clearInterval(beat);
      beat = setInterval(() => send({ t: "heartbeat" }), frame.heartbeat_seconds * 1000);
      for (const { frame: request } of pending.values()) send(request);  // cut off before their answer
    } else if (frame.t === "error" && !welcomed && REFUSED.has(frame.code)) {
      refused = true;
      localStorage.removeItem(KEY(device));
      socket.close();
      onPairing(frame.message);
    } else if (frame.t === "print") {
      // A printer this page would have to drive itself: a browser cannot, so the job fails and
      // the citizen gets the number and the QR code on the screen (the hall file should give
      // the kiosk's printer an address: then the server prints).
      send({ t: "print_failed", job: frame.job, reason: "no_local_printer" });
      onPrint({ ticket: lastTicket, printed: false, reason: "no_local_printer" });
    } else if (frame.t === "print_result") {
      onPrint(frame);
    } else if (frame.ref !== undefined && frame.ref !== null && pending.has(frame.ref)) {
      const { resolve } = pending.get(frame.ref);
      pending.delete(frame.ref);
      if (frame.t === "ticket") lastTicket = frame.ticket.id;
      resolve(frame);
    }
  }
  function request(frame) {
    const id = `${device}-${Date.now().toString(36)}-${++counter}`;
    return new Promise((resolve) => {
      const sent = { ...frame, id };
      if (!welcomed || !send(sent)) { resolve({ t: "error", code: "offline", message: "not connected" }); return; }
      pending.set(id, { frame: sent, resolve });
      setTimeout(() => { if (pending.delete(id)) resolve({ t: "error", code: "timeout", message: "no answer" }); }, ANSWER_MS);
    });
  }

  open();
  return {
    pair(token) { localStorage.setItem(KEY(device), token.trim()); refused = false; open(); },
    // `lang`: the ticket is printed in the language the kiosk shows (?lang=en).
    take(service, priority) { return request({ t: "take", service, lang: document.documentElement.lang || pageLanguage(), ...(priority ? { priority } : {}) }); },
    checkIn(code) { return request({ t: "check_in", code, lang: document.documentElement.lang || pageLanguage() }); },
  };
}

// A device frame as the HTTP answer shape the page already handles ({ok, body}).
export function asAnswer(frame) {
  if (frame.t === "ticket") return { ok: true, body: frame.ticket };
  return { ok: false, body: { error: { code: frame.code, message: frame.message } } };
}
