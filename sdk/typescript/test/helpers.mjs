// An in-process fake of the AgentOps ingest and control API: records every request (gzip bodies decompressed) and
// answers from a script of handlers, else 202.
import { createServer } from "node:http";
import { gunzipSync } from "node:zlib";

export async function fakeServer(handler) {
  const requests = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      let raw = Buffer.concat(chunks);
      const gzipped = req.headers["content-encoding"] === "gzip";
      if (gzipped) raw = gunzipSync(raw);
      let body;
      try {
        body = raw.length ? JSON.parse(raw.toString("utf8")) : undefined;
      } catch {
        body = raw.toString("utf8");
      }
      const entry = { method: req.method, url: req.url, headers: req.headers, body, gzipped, at: performance.now() };
      requests.push(entry);
      const answer = (await handler?.(entry, requests.length - 1)) ?? defaultAnswer(entry);
      if (answer === "hang") return; // never answers
      res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...(answer.headers ?? {}) });
      res.end(answer.body !== undefined ? JSON.stringify(answer.body) : "");
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.unref();
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  server.unref(); // a test that fails before close() must not keep its file's process alive
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    ingests: () => requests.filter((r) => r.url === "/api/v1/ingest"),
    events: () => requests.filter((r) => r.url === "/api/v1/ingest").flatMap((r) => r.body.batch),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

export function defaultAnswer(entry) {
  if (entry.url === "/api/v1/ingest") return { status: 202, body: { accepted: entry.body.batch.length, rejected: 0 } };
  return { status: 404, body: { code: "not_found" } };
}

export const quiet = () => {};

export function options(url, extra = {}) {
  return { apiKey: "aok_test", baseUrl: url, agent: "unit-agent", logger: quiet, flushOnExit: false, ...extra };
}
