// Inlined in the <head> of every page (app::live::EarlyStart): the one place a
// tab joins the browser's live stream. On a signed-in page it joins at once,
// while the bundle is still downloading, from the position the page was
// rendered at, so the stream is open by the time the page hydrates (instead
// of three round trips after it) and nothing committed since the render is
// missed. A page reached by navigating inside the app (after signing in, say)
// joins when its bundle asks, with `shipwatchLive.join(hello, bye)`. Either way the
// bundle takes the messages with `shipwatchLive.listen(handler)`, which first
// hands it what the worker sent meanwhile. Same worker and protocol as
// app::live (see public/live-worker.js); without SharedWorker, a dedicated one.
(() => {
  const { dataset } = document.currentScript;
  const bye = JSON.stringify({ v: 1, type: "bye" });
  // Held until the bundle listens; bounded for pages that never do.
  const held = [];
  let deliver = (message) => {
    held.push(message);
    if (held.length > 500) held.shift();
  };
  const receive = (message) => {
    try {
      const parsed = JSON.parse(message.data);
      if (parsed.type === "state") live.state = parsed.state;
    } catch {
      // Not ours to judge: the bundle reports unknown messages.
    }
    deliver(message);
  };
  const live = {
    // The page's render position, when it joined with one.
    after: undefined,
    // The account this tab joined for: it takes frames of no other.
    account: undefined,
    // The worker's last word on the stream ("live", "reconnecting", ...),
    // readable before the bundle runs; "idle" until the tab joins.
    state: "idle",
    /** Joins the stream with `hello` (and `byeText` when the tab goes); false if it failed. */
    join(hello, byeText = bye) {
      let post;
      try {
        if ("SharedWorker" in window) {
          const port = new SharedWorker("/live-worker.js", { name: "shipwatch-live" }).port;
          port.onmessage = receive;
          post = (text) => port.postMessage(text);
        } else {
          const worker = new Worker("/live-worker.js");
          worker.onmessage = receive;
          post = (text) => worker.postMessage(text);
        }
        post(hello);
        live.account = JSON.parse(hello).account;
      } catch (error) {
        console.warn("live: could not join the stream", error);
        return false;
      }
      live.state = "starting";
      // Tell the worker when this tab goes away, so it stops writing to it.
      addEventListener("pagehide", () => post(byeText));
      return true;
    },
    listen(handler) {
      deliver = handler;
      for (const message of held.splice(0)) handler(message);
    },
  };
  window.shipwatchLive = live;
  if (dataset.account !== undefined) {
    const rendered = Number(dataset.after);
    live.after = Number.isSafeInteger(rendered) ? rendered : undefined;
    live.join(JSON.stringify({ v: 1, type: "hello", account: dataset.account, after: live.after }));
  }
})();
