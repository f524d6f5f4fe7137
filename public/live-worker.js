// Shipwatch's live stream, shared by every tab of one browser.
//
// Each tab connects to this worker instead of opening its own EventSource, so
// a browser holds one stream however many tabs are open (HTTP/1.1 allows only
// six connections per origin). Run as a SharedWorker it lives as long as any
// tab does: closing any tab, the first one included, loses nothing. Where
// SharedWorker is missing (Chrome on Android) each tab runs this same script
// as its own dedicated Worker, so there is one reconnect policy either way.
//
// Protocol version 1: every message is a JSON string with "v" and "type".
//   tab → worker  {"v":1,"type":"hello","account":"<email>"[,"after":<position>]}
//                                                             start listening; with
//                                                             `after` (the position the
//                                                             page was rendered at),
//                                                             every frame after it
//                 {"v":1,"type":"bye"}                        the tab goes away
//   worker → tab  {"v":1,"type":"state","state":"live"|"reconnecting"|"offline"|"signed_out"}
//                 {"v":1,"type":"shipment","account":"<email>","data":"<the SSE frame's JSON>"}
//                 {"v":1,"type":"reset"}                      cursor unusable: refetch
// Anything else is ignored (and reported on the console). The page's side is
// `app::live::protocol`. The stream belongs to one account, the one whose
// session cookie the browser holds. A hello from another account (someone
// signed in as someone else) restarts the stream, forgets the previous
// account's frames, and tells that account's tabs "signed_out" and nothing
// more: a tab only ever receives frames of the account it said hello for,
// and each frame names that account so the tab can check it too.
"use strict";

const PROTOCOL = 1;
/** Frames kept for tabs that open later: they replay the last few seconds. */
const RECENT = 500;
const REPLAY_MS = 15000;
/**
 * Reconnect delays after the server refused the stream (503 while its
 * database restarts, say; EventSource gives up on any error status): 1 s,
 * 2 s, then every 4 s, plus up to half a second at random so that many
 * browsers do not come back in step. Short, so a page is live again within
 * about 5 s of the server being able to serve it.
 */
const MAX_BACKOFF_MS = 4000;

// Listening tabs, each with the account it said hello for.
const ports = new Map();
const recent = []; // { at, position, data }
let source = null;
let state = "reconnecting";
let lastPosition = null;
// The stream and `recent` hold every frame after this position (null: not
// known, as for a stream opened without a cursor).
let coveredFrom = null;
let failures = 0;
let retryTimer = null;
let account = null;

function send(port, message) {
  port.postMessage(JSON.stringify({ v: PROTOCOL, ...message }));
}

/** To every tab of the stream's account (only those are in `ports`). */
function broadcast(message) {
  for (const port of ports.keys()) send(port, message);
}

function setState(next) {
  state = next;
  broadcast({ type: "state", state });
}

/** A tab's message, if it is one this version understands. */
function parse(raw) {
  let message;
  try {
    message = JSON.parse(String(raw));
  } catch {
    message = null;
  }
  const valid =
    message !== null &&
    typeof message === "object" &&
    message.v === PROTOCOL &&
    (message.type === "bye" ||
      (message.type === "hello" &&
        typeof message.account === "string" &&
        message.account.length <= 254 &&
        (message.after === undefined || (Number.isSafeInteger(message.after) && message.after >= 0))));
  if (!valid) console.warn("live worker: ignoring an unknown message", raw);
  return valid ? message : null;
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
    recent.push({ at: Date.now(), position, data: event.data });
    if (recent.length > RECENT) coveredFrom = recent.shift().position;
    broadcast({ type: "shipment", account, data: event.data });
  });
  // The server's own database connection is down (it keeps the stream open
  // and catches up when it is back) or up again.
  stream.addEventListener("listener", (event) => {
    setState(event.data === "live" ? "live" : "reconnecting");
  });
  stream.addEventListener("reset", () => {
    lastPosition = null;
    coveredFrom = null;
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
  coveredFrom = null;
  account = null;
  setState("signed_out");
}

function retryLater() {
  setState("offline");
  failures += 1;
  const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures) + Math.random() * 500;
  retryTimer = setTimeout(open, delay);
}

/** Closes the stream and forgets its frames. */
function stopStream() {
  if (source !== null) source.close();
  source = null;
  if (retryTimer !== null) clearTimeout(retryTimer);
  retryTimer = null;
  recent.length = 0;
}

/**
 * Another account signed in on this browser: nothing of the last one stays,
 * and its tabs are told they are signed out and get nothing more.
 */
function restartFor(who) {
  for (const [port, its] of ports) {
    if (its !== who) {
      send(port, { type: "state", state: "signed_out" });
      ports.delete(port);
    }
  }
  account = who;
  stopStream();
  lastPosition = null;
  coveredFrom = null;
  failures = 0;
  state = "reconnecting";
}

/**
 * A tab needs frames from before what the stream holds (its page was rendered
 * earlier than the stream began): start the stream over from there. Tabs
 * already listening get those frames again and skip the ones they have.
 */
function resumeFrom(position) {
  stopStream();
  lastPosition = position;
  coveredFrom = position;
  open();
}

/** Serves one tab: a SharedWorker's port, or a dedicated worker's own scope. */
function attach(port) {
  port.onmessage = (event) => {
    const message = parse(event.data);
    if (message === null) return;
    if (message.type === "hello") {
      if (message.account !== account) restartFor(message.account);
      ports.set(port, message.account);
      send(port, { type: "state", state });
      const after = message.after;
      if (after === undefined) {
        // A tab that joined without a render position (a page reached inside
        // the app): what arrived in the last seconds, in case its data is
        // older; applying a frame twice is harmless.
        const since = Date.now() - REPLAY_MS;
        for (const frame of recent) {
          if (frame.at >= since) send(port, { type: "shipment", account, data: frame.data });
        }
      } else if (source === null && retryTimer === null) {
        // The first tab starts the stream, from its page's position.
        lastPosition = after;
        coveredFrom = after;
      } else if (coveredFrom === null || after < coveredFrom) {
        resumeFrom(after);
      } else {
        for (const frame of recent) {
          if (frame.position > after) send(port, { type: "shipment", account, data: frame.data });
        }
      }
      // The first tab, or a tab after signing in again, starts the stream.
      if (source === null && retryTimer === null) open();
    } else {
      ports.delete(port);
    }
  };
}

if (typeof SharedWorkerGlobalScope !== "undefined" && self instanceof SharedWorkerGlobalScope) {
  self.onconnect = (connection) => {
    const port = connection.ports[0];
    attach(port);
    port.start();
  };
} else {
  attach(self);
}
