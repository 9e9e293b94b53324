"""The transport: a bounded queue, a daemon worker that batches, compresses and retries, and the counters.

The caller's thread only appends a plain dict to a deque (under a lock, to honour the bound); everything that costs
time — timestamps to ISO 8601, JSON, gzip, HTTP — happens on the worker (or, in sync mode, inside flush/end_run).
"""
import collections
import datetime
import email.utils
import gzip
import http.client
import json
import logging
import os
import random
import threading
import time
import urllib.parse
import weakref
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

logger = logging.getLogger("agentops")

#: Bodies larger than this are sent gzip-compressed (Content-Encoding: gzip).
GZIP_MIN_BYTES = 1024
#: First retry delay bound in seconds; each further attempt doubles it (full jitter: uniform in [0, bound]).
BACKOFF_BASE_S = 0.5
#: The largest retry delay bound in seconds.
BACKOFF_CAP_S = 30.0
#: While an agent is paused its events are dropped, except that one batch is sent every this many seconds as a probe.
PAUSED_PROBE_INTERVAL_S = 30.0
#: A warning about dropped events is logged at most once per this many seconds.
DROP_WARNING_INTERVAL_S = 60.0
#: Timeout of one ingest request when no flush bounds it.
DEFAULT_REQUEST_TIMEOUT_S = 30.0
#: The shortest socket timeout used (a flush with less time left does not start a request).
MIN_REQUEST_TIMEOUT_S = 0.05
#: flush() aims to return this much before its timeout, so that "within the timeout" holds on a wall clock too.
FLUSH_RETURN_MARGIN_S = 0.005
#: HTTP statuses that are retried besides 5xx.
RETRIABLE_STATUSES = (408, 429)
#: The ingest route.
INGEST_PATH = "/api/v1/ingest"

#: The key of a queued event listing the exporters (by id) that already have it; to_wire strips it ("_").
_EXPORTED_KEY = "_exported_to"

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


_iso_cache: List[Any] = [None, ""]  # [whole second, its "YYYY-MM-DDTHH:MM:SS" prefix]: events come in bursts


def iso(t: Any) -> Any:
    """An epoch float (or a datetime) as ISO 8601 UTC with microseconds."""
    if isinstance(t, float) or isinstance(t, int):
        micros = int(round(t * 1e6))
        sec, frac = divmod(micros, 1_000_000)
        cache = _iso_cache
        if cache[0] != sec:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
            cache[1] = prefix
            cache[0] = sec
        else:
            prefix = cache[1]
        return "%s.%06dZ" % (prefix, frac)
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return t


def genai_metadata(ev: Dict[str, Any]) -> Dict[str, Any]:
    """The OpenTelemetry GenAI semantic-convention attributes of an llm.call event."""
    md: Dict[str, Any] = {"gen_ai.operation.name": ev.pop("_operation", None) or "chat"}
    if ev.get("provider") is not None:
        md["gen_ai.provider.name"] = ev["provider"]
    if ev.get("model") is not None:
        md["gen_ai.request.model"] = ev["model"]
    response_model = ev.pop("_response_model", None) or ev.get("model")
    if response_model is not None:
        md["gen_ai.response.model"] = response_model
        ev["model"] = response_model  # the event's model is the one that answered (priced), as in the other SDKs
    if ev.get("tokens_in") is not None:
        md["gen_ai.usage.input_tokens"] = ev["tokens_in"]
    if ev.get("tokens_out") is not None:
        md["gen_ai.usage.output_tokens"] = ev["tokens_out"]
    if ev.get("tokens_cached") is not None:
        md["gen_ai.usage.cache_read.input_tokens"] = ev["tokens_cached"]
    ttft = ev.pop("_ttft_ms", None)
    if ttft is not None:
        md["gen_ai.response.time_to_first_chunk"] = ttft / 1000.0
    return md


def to_wire(raw: Dict[str, Any]) -> Dict[str, Any]:
    """The ingest event for a queued event: times formatted, private keys folded into metadata, Nones left out."""
    if raw.get("type") == "llm.call":
        ev = dict(raw)
        md = genai_metadata(ev)  # pops the private keys (_operation, _response_model, _ttft_ms)
        user = ev.get("metadata")
        if user:
            md.update(user)
        ev["metadata"] = md
    else:
        ev = raw
    out = {k: v for k, v in ev.items() if v is not None and k[0] != "_"}
    t = out.get("timestamp")
    if t is not None:
        out["timestamp"] = iso(t)
    t = out.get("ended_at")
    if t is not None:
        out["ended_at"] = iso(t)
    return out


def _default(o: Any) -> Any:
    if isinstance(o, (datetime.datetime, datetime.date)):
        return o.isoformat()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if hasattr(o, "model_dump"):
        try:
            return o.model_dump()
        except Exception:  # noqa: BLE001 - best effort, falls back to str
            pass
    return str(o)


_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_default)


def encode(ev: Dict[str, Any]) -> bytes:
    """One event as compact UTF-8 JSON (anything not JSON becomes its str)."""
    return _encoder.encode(to_wire(ev)).encode("utf-8")


def parse_retry_after(value: Optional[str]) -> float:
    """Retry-After in seconds (delta-seconds or an HTTP date); 0 when absent or unreadable."""
    if not value:
        return 0.0
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())
    except (TypeError, ValueError, IndexError):
        return 0.0


def backoff_delay(attempt: int, retry_after: float = 0.0) -> float:
    """Full jitter: uniform in [0, min(cap, base·2^attempt)], never shorter than Retry-After."""
    bound = min(BACKOFF_CAP_S, BACKOFF_BASE_S * (2 ** min(attempt, 16)))
    return max(retry_after, random.uniform(0.0, bound))


class FlushResult:
    """What a flush left: ``unsent`` events still queued or in flight when it returned, ``timed_out`` when it
    returned because its timeout passed (then ``unsent`` > 0), and how long it took."""

    __slots__ = ("unsent", "elapsed_s", "timed_out")

    def __init__(self, unsent: int, elapsed_s: float = 0.0, timed_out: Optional[bool] = None) -> None:
        self.unsent = unsent
        self.elapsed_s = elapsed_s
        self.timed_out = unsent > 0 if timed_out is None else timed_out

    @property
    def ok(self) -> bool:
        """True when everything was sent (or dropped by policy) before the flush returned."""
        return self.unsent == 0

    def __repr__(self) -> str:
        return "FlushResult(unsent=%d, elapsed_s=%.3f)" % (self.unsent, self.elapsed_s)


class _Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: Dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class HttpSender:
    """One persistent HTTP/1.1 connection (reopened after any error); used by one thread at a time."""

    def __init__(self, base_url: str, headers: Dict[str, str]) -> None:
        u = urllib.parse.urlsplit(base_url)
        self._https = u.scheme == "https"
        self._host = u.hostname or "127.0.0.1"
        self._port = u.port
        self._prefix = u.path.rstrip("/")
        self._headers = headers
        self._conn: Optional[http.client.HTTPConnection] = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001
                pass
            self._conn = None

    def post(self, path: str, body: bytes, timeout: float, extra: Optional[Dict[str, str]] = None) -> _Response:
        """POST; raises OSError / http.client.HTTPException on network failures (the socket times out at ``timeout``)."""
        reused = self._conn is not None
        try:
            return self._post_once(path, body, timeout, extra)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not reused:
                raise
            # the server closed the idle keep-alive connection: once more on a new one, at once (same ids: safe)
            return self._post_once(path, body, timeout, extra)

    def _post_once(self, path: str, body: bytes, timeout: float, extra: Optional[Dict[str, str]]) -> _Response:
        timeout = max(MIN_REQUEST_TIMEOUT_S, timeout)
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=timeout)
        conn = self._conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        headers = dict(self._headers)
        if extra:
            headers.update(extra)
        try:
            conn.request("POST", self._prefix + path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except BaseException:
            self.close()
            raise
        if resp.getheader("connection", "").lower() == "close":
            self.close()
        return _Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)


class Transport:
    """Bounded queue + batching + retries. ``sync=True``: no worker; flush() sends on the caller's thread."""

    def __init__(
        self,
        base_url: Optional[str],
        api_key: Optional[str],
        *,
        sync: bool = False,
        max_queue_events: int = 10_000,
        batch_max_events: int = 500,
        batch_max_bytes: int = 1024 * 1024,
        flush_interval: float = 1.0,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S,
        on_agent_paused: Optional[Callable[[str, Optional[str]], None]] = None,
        on_agent_accepted: Optional[Callable[[str], None]] = None,
        is_paused: Optional[Callable[[str], bool]] = None,
        exporters: Sequence[Any] = (),
        native_ingest: bool = True,
        user_agent: str = "agentops-python",
    ) -> None:
        self.base_url = base_url
        self.enabled = bool(base_url) and (bool(api_key) or not native_ingest)
        self.sync = sync
        self.max_queue_events = max(1, int(max_queue_events))
        self.batch_max_events = max(1, int(batch_max_events))
        self.batch_max_bytes = max(1024, int(batch_max_bytes))
        self.flush_interval = max(0.01, float(flush_interval))
        self.request_timeout = request_timeout
        self.native_ingest = native_ingest
        self.exporters = list(exporters)
        #: Bodies above GZIP_MIN_BYTES are compressed unless the server refused a compressed body (415).
        self.gzip_enabled = True
        self._on_agent_paused = on_agent_paused
        self._on_agent_accepted = on_agent_accepted
        self._is_paused = is_paused
        self._headers = {
            "Authorization": "Bearer %s" % (api_key or ""),
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        self._sender = HttpSender(base_url or "http://127.0.0.1:9", self._headers)
        self._queue: Deque[Dict[str, Any]] = collections.deque()
        self._lock = threading.Lock()
        self._idle = threading.Condition(threading.Lock())
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        #: The batch being sent (encoded), kept until it is acknowledged or dropped, so that retries re-send it.
        self._inflight: Optional[Tuple[List[Dict[str, Any]], bytes]] = None
        #: Events taken from the queue by the worker and not yet sent or dropped (guarded by _lock): they count
        #: against the queue's bound and as unsent, also while the worker is still encoding them.
        self._inflight_n = 0
        self._flush_deadline: Optional[float] = None
        self._probe_at: Dict[str, float] = {}
        self._last_drop_warning = 0.0
        self.counters: Dict[str, int] = {
            "sent": 0, "retries": 0, "batches": 0, "dropped_invalid": 0,
            "dropped_queue_full": 0, "dropped_paused": 0, "dropped_rejected": 0,
        }
        self.rejected_by_code: Dict[str, int] = {}
        self._worker: Optional[threading.Thread] = None
        if self.enabled and not sync:
            self._start_worker()
            if hasattr(os, "register_at_fork"):
                ref = weakref.ref(self)
                os.register_at_fork(after_in_child=lambda: _after_fork(ref))

    def _start_worker(self) -> None:
        self._worker = threading.Thread(target=self._run, name="agentops-transport", daemon=True)
        self._worker.start()

    def _reset_after_fork(self) -> None:
        """In a forked child (gunicorn, multiprocessing): the parent's worker thread does not exist here, and its
        locks may have been held at the fork. Start over with fresh locks, an empty queue (the parent sends its own
        events) and a new worker."""
        self._lock = threading.Lock()
        self._idle = threading.Condition(threading.Lock())
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._queue = collections.deque()
        self._inflight = None
        self._inflight_n = 0
        self._flush_deadline = None
        self._sender = HttpSender(self.base_url or "http://127.0.0.1:9", self._headers)
        if not self._stop.is_set():
            self._start_worker()

    # ---- the caller's side -------------------------------------------------------------------------------

    def enqueue(self, ev: Dict[str, Any]) -> bool:
        """Queue one event; False when it was dropped (queue full). Never blocks on the network."""
        with self._lock:
            if len(self._queue) + self._inflight_n >= self.max_queue_events:
                self.counters["dropped_queue_full"] += 1
                full = True
            else:
                self._queue.append(ev)
                full = False
                n = len(self._queue)
        if full:
            self._warn_drop()
            return False
        if n >= self.batch_max_events and self._worker is not None:
            self._wake.set()
        return True

    def pending(self) -> int:
        """Events queued or in flight."""
        with self._lock:
            return len(self._queue) + self._inflight_n

    def count_invalid(self) -> None:
        """An event that could not be recorded (outside any run): counted in ``dropped_invalid``."""
        with self._lock:
            self.counters["dropped_invalid"] += 1

    def stats(self) -> Dict[str, Any]:
        with self._lock:
            out: Dict[str, Any] = dict(self.counters)
            out["rejected_by_code"] = dict(self.rejected_by_code)
            out["queued"] = len(self._queue) + self._inflight_n
        return out

    def flush(self, timeout: float) -> FlushResult:
        """Send what is queued; returns within ``timeout`` seconds whatever the network does."""
        start = time.monotonic()
        deadline = start + max(0.0, timeout - FLUSH_RETURN_MARGIN_S)
        if not self.enabled:
            return FlushResult(self.pending(), 0.0)
        if self._worker is None:
            if self._send_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                # A socket timeout bounds each read, not the request (a server dripping its answer, a keep-alive
                # retry, DNS): the drain runs on a short-lived daemon thread that the caller waits for only until
                # the deadline. If it overruns, the batch stays in flight and the send lock stays held until it
                # ends, so later flushes give up on time too.
                def drain() -> None:
                    try:
                        self._drain(deadline)
                    except Exception:  # noqa: BLE001 - never throws into the application
                        logger.exception("agentops: flush failed")
                    finally:
                        self._send_lock.release()

                helper = threading.Thread(target=drain, name="agentops-sync-flush", daemon=True)
                try:
                    helper.start()
                except BaseException:
                    self._send_lock.release()
                    raise
                helper.join(max(0.0, deadline - time.monotonic()))
        else:
            with self._idle:
                self._flush_deadline = deadline if self._flush_deadline is None else max(self._flush_deadline, deadline)
            self._wake.set()
            with self._idle:
                while self.pending() > 0:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._idle.wait(min(remaining, 0.25))
                    self._wake.set()
                if self._flush_deadline is not None and self._flush_deadline <= deadline:
                    self._flush_deadline = None
        return FlushResult(self.pending(), time.monotonic() - start)

    def close(self, timeout: float) -> FlushResult:
        """Flush within ``timeout``, then stop the worker."""
        result = self.flush(timeout)
        self._stop.set()
        self._wake.set()
        if self._worker is None:
            self._sender.close()
        return result

    # ---- the worker's side -------------------------------------------------------------------------------

    def _warn_drop(self) -> None:
        now = time.monotonic()
        if now - self._last_drop_warning >= DROP_WARNING_INTERVAL_S:
            self._last_drop_warning = now
            logger.warning(
                "agentops: queue full (%d events): dropping the newest events (%d so far)",
                self.max_queue_events, self.counters["dropped_queue_full"],
            )

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                self._drain(None)
            except Exception:  # noqa: BLE001 - the worker must survive anything
                logger.exception("agentops: transport worker error")
            with self._idle:
                self._idle.notify_all()
        self._sender.close()

    def _request_timeout(self, deadline: Optional[float]) -> float:
        t = self.request_timeout
        now = time.monotonic()
        if deadline is not None:  # sync mode: the caller's flush bounds everything
            return min(t, deadline - now)
        d = self._flush_deadline  # worker: a waiting flush bounds the request, an expired one no longer does
        if d is not None and d - now > MIN_REQUEST_TIMEOUT_S:
            t = min(t, d - now)
        return t

    def _drain(self, deadline: Optional[float]) -> None:
        """Send batches until the queue is empty (or the deadline passes / the client stops)."""
        attempt = 0
        while True:
            if self._inflight is None:
                self._inflight = self._take_batch()
                attempt = 0
                if self._inflight is None:
                    return
            if deadline is not None and deadline - time.monotonic() < MIN_REQUEST_TIMEOUT_S:
                return
            delay = self._send_inflight(deadline)
            with self._idle:
                self._idle.notify_all()
            if delay is None:
                continue
            self.counters["retries"] += 1
            wait = backoff_delay(attempt, delay)
            attempt += 1
            if deadline is not None:
                if wait >= deadline - time.monotonic():
                    return  # no time for another attempt: return now rather than sleep to the deadline
                time.sleep(wait)
            elif self._stop.wait(wait):
                return

    def _take_batch(self) -> Optional[Tuple[List[Dict[str, Any]], bytes]]:
        while True:
            with self._lock:
                if not self._queue:
                    return None
                n = min(self.batch_max_events, len(self._queue))
                raw = [self._queue.popleft() for _ in range(n)]
                self._inflight_n = n
            now = time.monotonic()
            events: List[Dict[str, Any]] = []
            parts: List[bytes] = []
            size = 0
            probing: Dict[str, bool] = {}
            for i, ev in enumerate(raw):
                agent = ev.get("agent", "")
                if self._is_paused is not None and self._is_paused(agent):
                    allowed = probing.get(agent)
                    if allowed is None:
                        allowed = now - self._probe_at.get(agent, 0.0) >= PAUSED_PROBE_INTERVAL_S
                        if allowed:
                            self._probe_at[agent] = now
                        probing[agent] = allowed
                    if not allowed:
                        with self._lock:
                            self.counters["dropped_paused"] += 1
                            self._inflight_n -= 1
                        continue
                try:
                    data = encode(ev)
                except Exception as e:  # noqa: BLE001 - an unencodable event is dropped, never the batch
                    logger.warning("agentops: event %s could not be encoded (%s); dropped", ev.get("id"), e)
                    with self._lock:
                        self._inflight_n -= 1
                        self.counters["dropped_rejected"] += 1
                        self.rejected_by_code["unencodable"] = self.rejected_by_code.get("unencodable", 0) + 1
                    continue
                if parts and size + len(data) + 1 > self.batch_max_bytes:
                    with self._lock:
                        self._queue.extendleft(reversed(raw[i:]))
                        self._inflight_n -= len(raw) - i
                    break
                parts.append(data)
                events.append(ev)
                size += len(data) + 1
            if events:
                body = b'{"batch":[' + b",".join(parts) + b"]}"
                return events, body
            # everything taken was dropped: look again

    def _send_inflight(self, deadline: Optional[float]) -> Optional[float]:
        """Send the in-flight batch once. None: done with it (sent or dropped); else retry after max(that, backoff)."""
        assert self._inflight is not None
        events, body = self._inflight
        exported_all = True
        for exporter in self.exporters:
            # marked per event, not per body: a batch split after a 413 (or re-taken) is not exported again
            key = id(exporter)
            todo = [ev for ev in events if key not in ev.get(_EXPORTED_KEY, ())]
            if not todo:
                continue
            try:
                copies = [{k: v for k, v in ev.items() if k != _EXPORTED_KEY} for ev in todo]
                ok = exporter.export(copies, self._request_timeout(deadline)) is not False
            except Exception as e:  # noqa: BLE001
                logger.warning("agentops: exporter %r failed: %s", exporter, e)
                ok = False
            if ok or self.native_ingest:
                # with native ingest, exporters are best effort (once per event); without, a failure is retried
                for ev in todo:
                    ev[_EXPORTED_KEY] = ev.get(_EXPORTED_KEY, ()) + (key,)
            else:
                exported_all = False
        if not self.native_ingest:
            if not exported_all:
                return 0.0
            self._done(len(events))
            return None
        timeout = self._request_timeout(deadline)
        if timeout < MIN_REQUEST_TIMEOUT_S:
            return 0.0
        payload = body
        extra: Dict[str, str] = {}
        if len(body) > GZIP_MIN_BYTES and self.gzip_enabled:
            payload = gzip.compress(body, compresslevel=5)
            extra["Content-Encoding"] = "gzip"
        try:
            resp = self._sender.post(INGEST_PATH, payload, timeout, extra)
        except (OSError, http.client.HTTPException) as e:
            logger.debug("agentops: ingest failed: %s", e)
            return 0.0
        status = resp.status
        if status == 202 or (200 <= status < 300 and status != 207):
            self._done(len(events))
            self._accepted_agents(events)
            return None
        if status == 207:
            self._handle_multi(events, resp.body)
            return None
        if status in RETRIABLE_STATUSES or status >= 500:
            return parse_retry_after(resp.headers.get("retry-after"))
        code = _problem_code(resp.body) or ("http_%d" % status)
        if status == 413 and len(events) > 1:
            # too large for this server (its size limit or the organization's burst): halve the batches from now
            # on and send these events again in smaller batches, in the same order
            self.batch_max_events = max(1, len(events) // 2)
            logger.warning("agentops: ingest refused a batch of %d events (%s); batches of %d from now on",
                           len(events), code, self.batch_max_events)
            with self._lock:
                self._queue.extendleft(reversed(events))
                self._inflight = None
                self._inflight_n = 0
            return None
        if status == 415 and "Content-Encoding" in extra:
            # a server older than gzip ingest: send uncompressed from now on (the batch is retried at once)
            logger.warning("agentops: the server does not accept gzip bodies (%s); sending uncompressed", code)
            self.gzip_enabled = False
            return None
        logger.warning("agentops: ingest refused a batch of %d events: HTTP %d %s", len(events), status, code)
        with self._lock:
            self.counters["dropped_rejected"] += len(events)
            self.rejected_by_code[code] = self.rejected_by_code.get(code, 0) + len(events)
        self._done(0)
        return None

    def _done(self, sent_count: int) -> None:
        with self._lock:
            self.counters["sent"] += sent_count
            self.counters["batches"] += 1
            self._inflight = None
            self._inflight_n = 0

    def _accepted_agents(self, events: List[Dict[str, Any]]) -> None:
        if self._on_agent_accepted is None or self._is_paused is None:
            return
        seen = set()
        for ev in events:
            a = ev.get("agent", "")
            if a not in seen:
                seen.add(a)
                if self._is_paused(a):
                    self._on_agent_accepted(a)

    def _handle_multi(self, events: List[Dict[str, Any]], body: bytes) -> None:
        try:
            doc = json.loads(body.decode("utf-8"))
            results = doc.get("results") or []
            if not isinstance(results, list) or not all(
                    isinstance(r, dict) and isinstance(r.get("status"), str)
                    and (r.get("code") is None or isinstance(r.get("code"), str)) for r in results):
                raise ValueError("malformed 207 items")
        except Exception as e:  # noqa: BLE001 - any unreadable 207 (not JSON, a non-object item, a non-string status)
            # The server answered (the batch reached it): re-sending could repeat forever, so the batch counts as
            # sent with unknown item results, and says so.
            logger.warning("agentops: unreadable 207 answer to a batch of %d events (%s): counted as sent",
                           len(events), e)
            results = []
        accepted = 0
        accepted_agents = set()
        paused: Dict[str, Optional[str]] = {}
        by_code: Dict[str, int] = {}
        for r in results:
            idx = r.get("index")
            ev = events[idx] if isinstance(idx, int) and 0 <= idx < len(events) else None
            if r.get("status") == "accepted":
                accepted += 1
                if ev is not None:
                    accepted_agents.add(ev.get("agent", ""))
                continue
            code = r.get("code") or "rejected"
            by_code[code] = by_code.get(code, 0) + 1
            if code == "agent_paused" and ev is not None:
                paused[ev.get("agent", "")] = r.get("message")
        if not results:  # an unreadable 207: count the whole batch as sent, it will not be retried either way
            accepted = len(events)
        rejected = sum(by_code.values())
        with self._lock:
            self.counters["dropped_rejected"] += rejected
            for code, n in by_code.items():
                self.rejected_by_code[code] = self.rejected_by_code.get(code, 0) + n
        if rejected:
            logger.warning("agentops: ingest refused %d of %d events: %s", rejected, len(events), by_code)
        self._done(accepted)
        for agent, message in paused.items():
            if self._on_agent_paused is not None:
                self._probe_at[agent] = time.monotonic()
                self._on_agent_paused(agent, message)
        if self._on_agent_accepted is not None and self._is_paused is not None:
            for agent in accepted_agents:
                if agent not in paused and self._is_paused(agent):
                    self._on_agent_accepted(agent)


def _after_fork(ref: "weakref.ReferenceType[Transport]") -> None:
    transport = ref()
    if transport is not None:
        try:
            transport._reset_after_fork()
        except Exception:  # noqa: BLE001 - never break the child
            pass


def _problem_code(body: bytes) -> Optional[str]:
    try:
        doc = json.loads(body.decode("utf-8"))
        code = doc.get("code")
        return code if isinstance(code, str) else None
    except (ValueError, AttributeError):
        return None
