// The sign-in flood of issue 12: one client (127.0.0.2) keeps `--connections`
// bogus sign-ins and registrations in flight for `--seconds`, while alice
// signs in with her correct password from another address (127.0.0.3) once
// a second. Prints alice's sign-in times (quiet, before the flood, and
// during it), the server's resident memory before and at its peak, and what
// the flooding client was answered. Run by scripts/flood.
//
//   node bench/flood.mjs --url http://127.0.0.1:PORT --pid SERVER_PID
import http from "node:http";
import fs from "node:fs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const base = new URL(args.url);
const pid = Number(args.pid);
const connections = Number(args.connections ?? 200);
const seconds = Number(args.seconds ?? 20);

const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]);

function post(path, body, localAddress, agent) {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const started = performance.now();
    const request = http.request(
      {
        host: base.hostname, port: base.port, path, method: "POST", localAddress, agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data), origin: base.origin },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode, ms: performance.now() - started }));
      },
    );
    request.on("error", () => resolve({ status: "error", ms: performance.now() - started }));
    request.end(data);
  });
}

const aliceAgent = new http.Agent({ keepAlive: false });
const aliceSignIn = () =>
  post("/api/v1/session", { email: "alice@example.com", password: "demo-password" }, "127.0.0.3", aliceAgent);

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

// Quiet: alice alone, the figure the flood is compared with.
const quiet = [];
for (let i = 0; i < 5; i++) quiet.push((await aliceSignIn()).ms);
const rssBefore = rssKiB();

let stop = false;
let peak = rssBefore;
const answers = {};
const floodAgent = new http.Agent({ keepAlive: true, maxSockets: connections });
let n = 0;
async function flooder(worker) {
  while (!stop) {
    n += 1;
    const register = n % 2 === 0;
    const result = register
      ? await post("/api/v1/users", { email: `flood${worker}-${n}@example.com`, password: "flood flood flood" }, "127.0.0.2", floodAgent)
      : await post("/api/v1/session", { email: `victim${n % 500}@example.com`, password: `guess ${n}` }, "127.0.0.2", floodAgent);
    const key = `${register ? "register" : "sign-in"} ${result.status}`;
    answers[key] = (answers[key] ?? 0) + 1;
  }
}
const memory = setInterval(() => { peak = Math.max(peak, rssKiB()); }, 100);
const flood = Array.from({ length: connections }, (_, worker) => flooder(worker));
const during = [];
const aliceStatuses = {};
const until = performance.now() + seconds * 1000;
while (performance.now() < until) {
  const result = await aliceSignIn();
  during.push(result.ms);
  aliceStatuses[result.status] = (aliceStatuses[result.status] ?? 0) + 1;
  await new Promise((r) => setTimeout(r, 1000));
}
stop = true;
await Promise.all(flood);
clearInterval(memory);
peak = Math.max(peak, rssKiB());

const fmt = (ms) => `${(ms / 1000).toFixed(3)} s`;
console.log(`alice quiet:        p50 ${fmt(quantile(quiet, 0.5))}, max ${fmt(Math.max(...quiet))} (${quiet.length} sign-ins)`);
console.log(`alice during flood: p50 ${fmt(quantile(during, 0.5))}, max ${fmt(Math.max(...during))} (${during.length} sign-ins, statuses ${JSON.stringify(aliceStatuses)})`);
console.log(`server RSS:         ${(rssBefore / 1024).toFixed(1)} MiB before, ${(peak / 1024).toFixed(1)} MiB peak (+${((peak - rssBefore) / 1024).toFixed(1)} MiB)`);
console.log(`flooding client (${connections} connections, ${seconds} s): ${JSON.stringify(answers)}`);
