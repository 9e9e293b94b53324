"""In-process fake servers for the unit tests: an AgentOps ingest/control API and an OpenAI chat completions API."""
import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

Reply = Tuple[int, Dict[str, str], Any]


class Request:
    def __init__(self, method: str, path: str, headers: Dict[str, str], raw: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.raw = raw
        self.at = time.monotonic()
        body = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
        self.body = body
        try:
            self.json: Any = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            self.json = None

    @property
    def batch(self) -> List[Dict[str, Any]]:
        return (self.json or {}).get("batch") or []


class FakeServer:
    """A ThreadingHTTPServer whose answers are scripted per path prefix (first matching script wins, in order)."""

    def __init__(self) -> None:
        self.requests: List[Request] = []
        self.lock = threading.Lock()
        self.scripts: List[Tuple[str, Callable[[Request], Optional[Reply]]]] = []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *a: Any) -> None:
                pass

            def _handle(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
                with outer.lock:
                    outer.requests.append(req)
                reply = outer.answer(req)
                if reply is None:  # never answer (until the test ends)
                    outer.release.wait(30)
                    self.close_connection = True
                    return
                status, headers, body = reply
                if callable(body):
                    body(self)
                    return
                data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def script(self, prefix: str, fn: Callable[[Request], Optional[Reply]]) -> None:
        self.scripts.append((prefix, fn))

    def answer(self, req: Request) -> Optional[Reply]:
        for prefix, fn in list(self.scripts):
            if req.path.startswith(prefix):
                return fn(req)
        if req.path.startswith("/api/v1/ingest"):
            return 202, {}, {"accepted": len(req.batch), "rejected": 0}
        return 404, {}, {"code": "route_not_found"}

    def ingest_requests(self) -> List[Request]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith("/api/v1/ingest")]

    def events(self) -> List[Dict[str, Any]]:
        out: List[Dict[str, Any]] = []
        for r in self.ingest_requests():
            out.extend(r.batch)
        return out

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def replies(*seq: Optional[Reply]) -> Callable[[Request], Optional[Reply]]:
    """A script answering with each reply in turn, then 202 for every item."""
    it = iter(seq)
    lock = threading.Lock()

    def fn(req: Request) -> Optional[Reply]:
        with lock:
            r = next(it, "default")
        if r == "default":
            return 202, {}, {"accepted": len(req.batch), "rejected": 0}
        return r  # type: ignore[return-value]
    return fn


# ---- a fake OpenAI chat completions server (JSON and SSE) ------------------------------------------------------

def openai_server(model: str = "gpt-4o-mini-2024-07-18", text: str = "Hello there, friend",
                  usage: Optional[Dict[str, Any]] = None, chunk_delay_s: float = 0.0) -> FakeServer:
    """A server speaking POST /v1/chat/completions like OpenAI: JSON, or SSE with stream_options.include_usage."""
    srv = FakeServer()
    usage = usage or {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49,
                      "prompt_tokens_details": {"cached_tokens": 32}}

    def completions(req: Request) -> Reply:
        body = req.json or {}
        if not body.get("stream"):
            return 200, {}, {
                "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}],
                "usage": usage,
            }
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def stream(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.send_header("Connection", "close")
            h.end_headers()
            h.close_connection = True
            words = text.split(" ")
            try:
                for i, w in enumerate(words):
                    if chunk_delay_s:
                        time.sleep(chunk_delay_s)
                    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": model,
                             "choices": [{"index": 0, "delta": {"content": (w if i == 0 else " " + w)},
                                          "finish_reason": None}]}
                    if include_usage:
                        chunk["usage"] = None
                    h.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                    h.wfile.flush()
                if include_usage:
                    last = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": model, "choices": [],
                            "usage": usage}
                    h.wfile.write(b"data: " + json.dumps(last).encode() + b"\n\n")
                h.wfile.write(b"data: [DONE]\n\n")
                h.wfile.flush()
            except OSError:
                pass
        return 200, {}, stream

    srv.script("/v1/chat/completions", completions)
    return srv
