// Inlined in the <head> of every signed-in page (app::live::EarlyStart): joins
// the browser's live stream while the bundle is still downloading, from the
// position the page was rendered at, so the stream is open by the time the
// page hydrates (instead of three round trips after it) and nothing committed
// since the render is missed. The bundle takes over with
// `shipwatchLive.listen(handler)`, which first hands it what the worker sent
// meanwhile. Same worker and protocol as app::live (see
// public/live-worker.js); without SharedWorker, a dedicated one.
(() => {
  const { account } = document.currentScript.dataset;
  // The stream position the page was rendered at: the worker sends this tab
  // every frame after it, so nothing between the render and the stream is lost.
  const rendered = Number(document.currentScript.dataset.after);
  const after = Number.isSafeInteger(rendered) ? rendered : undefined;
  const hello = JSON.stringify({ v: 1, type: "hello", account, after });
  const bye = JSON.stringify({ v: 1, type: "bye" });
  // Held until the bundle listens; bounded for pages that never do.
  const held = [];
  let deliver = (message) => {
    held.push(message);
    if (held.length > 500) held.shift();
  };
  const handle = {
    account,
    after,
    // The worker's last word on the stream ("live", "reconnecting", ...),
    // readable before the bundle runs.
    state: "starting",
    listen(handler) {
      deliver = handler;
      for (const message of held.splice(0)) handler(message);
    },
  };
  const receive = (message) => {
    try {
      const parsed = JSON.parse(message.data);
      if (parsed.type === "state") handle.state = parsed.state;
    } catch {
      // Not ours to judge: the bundle reports unknown messages.
    }
    deliver(message);
  };
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
  } catch (error) {
    // The bundle connects the usual way.
    console.warn("live: could not start the stream early", error);
    return;
  }
  addEventListener("pagehide", () => post(bye));
  window.shipwatchLive = handle;
})();
