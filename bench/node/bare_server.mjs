// A bare socket.io 4.8 server for the fan-out benchmark (bench/fanout.py): it accepts connections on the
// namespace /live and, when the "moderator" connection (auth {"moderator": true}) emits any event, broadcasts
// one `delta` of the app's shape to every other connection, then acknowledges as the app does. No state, no
// snapshot, no database: the floor under what the app does per broadcast.
//
//   node bench/node/bare_server.mjs --port 5001 [--host 127.0.0.1] [--deflate]
//
// Prints one JSON line {"listening": port, "pid": ...} once it accepts connections.

import { createServer } from "node:http";
import { Server } from "socket.io";

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

const port = Number(option("port", "5001"));
const host = option("host", "127.0.0.1");
const deflate = process.argv.includes("--deflate");
const AUDIENCE = "audience";

const http = createServer((request, response) => {
  response.writeHead(request.url === "/healthz" ? 200 : 404, { "Content-Type": "text/plain" });
  response.end(request.url === "/healthz" ? "ok\n" : "not found\n");
});
const server = new Server(http, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: deflate ? { threshold: 0 } : false,
});

let seq = 12;
let questionId = 1;
const live = server.of("/live");
live.on("connection", (socket) => {
  if (socket.handshake.auth && socket.handshake.auth.moderator) {
    socket.onAny((...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args[args.length - 1] : null;
      seq += 1;
      questionId = questionId === 1 ? 2 : 1;
      // Compact JSON of this object is the app's 92-byte current_question delta (two-digit seq).
      const delta = { event_id: 1, stream: "public", seq, type: "current_question", data: { question_id: questionId } };
      live.to(AUDIENCE).emit("delta", delta);
      if (ack) ack({ ok: true, result: null, message: "" });
    });
  } else {
    socket.join(AUDIENCE);
  }
});

http.listen({ port, host, backlog: 2048 }, () => {
  process.stdout.write(JSON.stringify({ listening: port, pid: process.pid }) + "\n");
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
