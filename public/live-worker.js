// Shipwatch's live stream, shared by every tab of one browser.
//
// Each tab connects to this SharedWorker instead of opening its own
// EventSource, so a browser holds one stream however many tabs are open (HTTP/1.1
// allows only six connections per origin). The worker lives as long as any tab
// does: closing any tab, the first one included, loses nothing.
//
// Messages to tabs are JSON strings:
//   {"type":"state","state":"live"|"reconnecting"|"offline"|"signed_out"}
//   {"type":"shipment","data":"<the SSE frame's JSON>"}
//   {"type":"reset"}                       the cursor was unusable: refetch
// Tabs send "hello <email>" when they start listening and "bye" when they go
// away. A hello from another account (someone signed in as someone else)
// restarts the stream and forgets the previous account's frames.
"use strict";

/** Frames kept for tabs that open later: they replay the last few seconds. */
const RECENT = 500;
const REPLAY_MS = 15000;

const ports = new Set();
const recent = []; // { at, data }
let source = null;
let state = "reconnecting";
let lastPosition = null;
let failures = 0;
let retryTimer = null;
let account = null;

function send(port, message) {
  port.postMessage(JSON.stringify(message));
}

function broadcast(message) {
  const text = JSON.stringify(message);
  for (const port of ports) port.postMessage(text);
}

function setState(next) {
  state = next;
  broadcast({ type: "state", state });
}

function open() {
  retryTimer = null;
  const url = lastPosition === null ? "/api/events" : `/api/events?after=${lastPosition}`;
  const stream = new EventSource(url);
  source = stream;
  stream.onopen = () => {
    failures = 0;
    setState("live");
  };
  stream.addEventListener("shipment", (event) => {
    const position = Number(event.lastEventId);
    if (lastPosition !== null && position <= lastPosition) return; // already relayed
    lastPosition = position;
    recent.push({ at: Date.now(), data: event.data });
    if (recent.length > RECENT) recent.shift();
    broadcast({ type: "shipment", data: event.data });
  });
  stream.addEventListener("reset", () => {
    lastPosition = null;
    recent.length = 0;
    broadcast({ type: "reset" });
  });
  stream.onerror = () => {
    // The browser retries by itself (sending Last-Event-ID) unless the server
    // answered with an error status; then it is CLOSED and we decide.
    if (stream.readyState !== EventSource.CLOSED) {
      setState("reconnecting");
      return;
    }
    stream.close();
    source = null;
    fetch("/api/v1/session", { credentials: "same-origin" })
      .then((response) => (response.status === 401 ? signedOut() : retryLater()))
      .catch(retryLater);
  };
}

function signedOut() {
  recent.length = 0;
  lastPosition = null;
  account = null;
  setState("signed_out");
}

function retryLater() {
  setState("offline");
  failures += 1;
  const delay = 1000 * Math.min(16, 2 ** Math.min(failures, 4));
  retryTimer = setTimeout(open, delay);
}

/** Another account signed in on this browser: nothing of the last one stays. */
function restartFor(who) {
  account = who;
  if (source !== null) source.close();
  source = null;
  if (retryTimer !== null) clearTimeout(retryTimer);
  retryTimer = null;
  recent.length = 0;
  lastPosition = null;
  failures = 0;
  state = "reconnecting";
}

self.onconnect = (connection) => {
  const port = connection.ports[0];
  port.onmessage = (message) => {
    const text = String(message.data);
    if (text.startsWith("hello ")) {
      ports.add(port);
      const who = text.slice("hello ".length);
      if (who !== account) restartFor(who);
      send(port, { type: "state", state });
      // What arrived just before this tab was listening (its page may have
      // been rendered a moment earlier); applying a frame twice is harmless.
      const since = Date.now() - REPLAY_MS;
      for (const frame of recent) {
        if (frame.at >= since) send(port, { type: "shipment", data: frame.data });
      }
      // The first tab, or a tab after signing in again, starts the stream.
      if (source === null && retryTimer === null) open();
    } else if (text === "bye") {
      ports.delete(port);
    }
  };
  port.start();
};
