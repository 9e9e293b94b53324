"""An optional exporter: the SDK's runs, spans and calls as OTLP/HTTP JSON traces.

Sends to any OTLP traces endpoint: the AgentOps server's ``/api/v1/otlp/v1/traces`` or an OpenTelemetry collector
(``http://collector:4318/v1/traces``). Standard library only; the official OpenTelemetry packages are not needed.

    from agentops.otlp import OtlpExporter
    client = agentops.Client(base_url=..., api_key=..., agent="bot",
                             exporters=[OtlpExporter("http://collector:4318/v1/traces")])

With ``native_ingest=False`` the client sends only through its exporters. A trace is a run: the trace id is the
run id (32 hex characters; other run ids are hashed), the run is the root span (sent when the run ends), every
event is a span whose parent is its enclosing span, else the root. LLM calls carry the GenAI attributes.
"""
import hashlib
import json
import logging
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

from ._transport import backoff_delay, parse_retry_after, to_wire

logger = logging.getLogger("agentops")

#: OTLP SpanKind values (enums are integers in OTLP/JSON).
SPAN_KIND_INTERNAL = 1
SPAN_KIND_CLIENT = 3
#: OTLP StatusCode values.
STATUS_UNSET = 0
STATUS_OK = 1
STATUS_ERROR = 2
#: Runs whose start the exporter remembers until their end arrives (oldest forgotten first).
MAX_OPEN_RUNS = 10_000
#: Attempts of one export (the first included) on network errors, 429 and 5xx, within the export's timeout.
MAX_ATTEMPTS = 4
#: The instrumentation scope name.
SCOPE_NAME = "agentops-python"


def _hex(value: str, length: int) -> str:
    v = value.lower()
    if len(v) >= length and all(c in "0123456789abcdef" for c in v[:length]):
        return v[:length]
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:length]


def trace_id_of(run_id: str) -> str:
    """The trace id (32 hex) of a run id: itself when it is 32 hex characters (the SDK's own), else a hash."""
    return _hex(run_id, 32)


def span_id_of(event_id: str) -> str:
    """A span id (16 hex) from an event id."""
    return _hex(event_id, 16)


def root_span_id(run_id: str) -> str:
    return hashlib.sha256(("root:" + run_id).encode("utf-8")).hexdigest()[:16]


def _any(v: Any) -> Dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, str):
        return {"stringValue": v}
    if isinstance(v, (list, tuple)):
        return {"arrayValue": {"values": [_any(x) for x in v]}}
    return {"stringValue": json.dumps(v, default=str, separators=(",", ":"))}


def _attrs(d: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [{"key": k, "value": _any(v)} for k, v in d.items() if v is not None]


def _nanos(t: Any) -> str:
    return str(int(round(float(t) * 1e9)))


class OtlpExporter:
    """Posts OTLP/JSON ``ExportTraceServiceRequest`` bodies; used by the client's worker thread."""

    def __init__(self, endpoint: str, api_key: Optional[str] = None, headers: Optional[Dict[str, str]] = None,
                 service_name: Optional[str] = None) -> None:
        self.endpoint = endpoint
        self.headers = {"Content-Type": "application/json"}
        if api_key:
            self.headers["Authorization"] = "Bearer " + api_key
        if headers:
            self.headers.update(headers)
        self.service_name = service_name
        self._runs: "OrderedDict[str, Tuple[float, str, Dict[str, Any]]]" = OrderedDict()
        self.exported_spans = 0
        self.failed_exports = 0

    # -- mapping ---------------------------------------------------------------------------------------------

    def to_spans(self, events: List[Dict[str, Any]]) -> Dict[str, List[Dict[str, Any]]]:
        """Spans per agent for a batch of the SDK's queued events."""
        out: Dict[str, List[Dict[str, Any]]] = {}
        for raw in events:
            agent = raw.get("agent", "")
            run_id = raw.get("run_id", "")
            typ = raw.get("type")
            start = raw.get("timestamp") or time.time()
            if not isinstance(start, (int, float)):
                continue
            if typ == "run.start":
                self._runs[run_id] = (float(start), raw.get("name") or "run",
                                      {"agentops.run.tags": raw.get("tags"), "deployment.environment.name":
                                       raw.get("environment")})
                while len(self._runs) > MAX_OPEN_RUNS:
                    self._runs.popitem(last=False)
                continue
            wire = to_wire(raw)
            md = dict(wire.get("metadata") or {})
            attrs: Dict[str, Any] = {"gen_ai.agent.name": agent}
            status: Dict[str, Any] = {"code": STATUS_UNSET}
            if typ == "run.end":
                run_start, name, extra = self._runs.pop(run_id, (float(start), "run", {}))
                attrs.update(extra)
                failed = raw.get("status") in ("failed", "error", "timeout")
                if failed:
                    status = {"code": STATUS_ERROR, "message": str(raw.get("error") or "failed")}
                else:
                    status = {"code": STATUS_OK}
                span = {"traceId": trace_id_of(run_id), "spanId": root_span_id(run_id), "name": name,
                        "kind": SPAN_KIND_INTERNAL, "startTimeUnixNano": _nanos(run_start),
                        "endTimeUnixNano": _nanos(raw.get("ended_at") or start),
                        "attributes": _attrs(attrs), "status": status}
                out.setdefault(agent, []).append(span)
                continue
            start_ns = int(round(float(start) * 1e9))
            lat = raw.get("latency_ms")
            end = raw.get("ended_at")
            if isinstance(lat, (int, float)):  # exact: the server derives the duration from the span's times
                end_ns = start_ns + int(lat * 1_000_000)
            elif isinstance(end, (int, float)):
                end_ns = int(round(float(end) * 1e9))
            else:
                end_ns = start_ns
            kind = SPAN_KIND_INTERNAL
            name = raw.get("name") or typ or "event"
            if typ == "llm.call":
                kind = SPAN_KIND_CLIENT
                name = "%s %s" % (md.get("gen_ai.operation.name", "chat"), raw.get("model"))
                if raw.get("cost_usd") is not None:
                    attrs["agentops.cost_usd"] = raw.get("cost_usd")
            elif typ == "tool.call":
                attrs["gen_ai.operation.name"] = "execute_tool"
                attrs["gen_ai.tool.name"] = raw.get("tool_name")
                name = "execute_tool %s" % raw.get("tool_name")
                if raw.get("input") is not None:
                    attrs["gen_ai.tool.call.arguments"] = raw.get("input")
                if raw.get("output") is not None:
                    attrs["gen_ai.tool.call.result"] = raw.get("output")
            elif typ == "score":
                attrs["agentops.score"] = raw.get("score")
            attrs["agentops.event.type"] = typ
            attrs.update(md)
            if raw.get("error") is not None:
                status = {"code": STATUS_ERROR, "message": str(wire.get("error"))[:1024]}
            parent = raw.get("parent_id")
            span = {"traceId": trace_id_of(run_id), "spanId": span_id_of(raw.get("id", "")),
                    "parentSpanId": span_id_of(parent) if parent else root_span_id(run_id), "name": name,
                    "kind": kind, "startTimeUnixNano": str(start_ns), "endTimeUnixNano": str(end_ns),
                    "attributes": _attrs(attrs), "status": status}
            out.setdefault(agent, []).append(span)
        return out

    def to_request(self, events: List[Dict[str, Any]]) -> Dict[str, Any]:
        """The ExportTraceServiceRequest (OTLP/JSON) for a batch of events."""
        resource_spans = []
        for agent, spans in self.to_spans(events).items():
            resource_spans.append({
                "resource": {"attributes": _attrs({"service.name": self.service_name or agent,
                                                   "gen_ai.agent.name": agent})},
                "scopeSpans": [{"scope": {"name": SCOPE_NAME}, "spans": spans}],
            })
        return {"resourceSpans": resource_spans}

    # -- sending ---------------------------------------------------------------------------------------------

    def export(self, events: List[Dict[str, Any]], timeout: float = 10.0) -> bool:
        """Send one batch within ``timeout`` seconds; True when the endpoint accepted it."""
        request = self.to_request(events)
        if not request["resourceSpans"]:
            return True
        n = sum(len(s["scopeSpans"][0]["spans"]) for s in request["resourceSpans"])
        body = json.dumps(request, separators=(",", ":"), default=str).encode("utf-8")
        deadline = time.monotonic() + timeout
        for attempt in range(MAX_ATTEMPTS):
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                break
            retry_after = 0.0
            try:
                req = urllib.request.Request(self.endpoint, data=body, headers=self.headers, method="POST")
                with urllib.request.urlopen(req, timeout=remaining) as resp:
                    answer = resp.read()
                try:
                    partial = json.loads(answer.decode("utf-8") or "{}").get("partialSuccess") or {}
                    if partial.get("rejectedSpans"):
                        logger.warning("agentops: OTLP endpoint rejected %s spans: %s",
                                       partial.get("rejectedSpans"), partial.get("errorMessage"))
                except (ValueError, AttributeError):
                    pass
                self.exported_spans += n
                return True
            except urllib.error.HTTPError as e:
                if e.code not in (408, 429) and e.code < 500:
                    logger.warning("agentops: OTLP export refused: HTTP %d", e.code)
                    break
                retry_after = parse_retry_after(e.headers.get("Retry-After") if e.headers else None)
            except OSError as e:
                logger.debug("agentops: OTLP export failed: %s", e)
            wait = backoff_delay(attempt, retry_after)
            if wait >= deadline - time.monotonic():
                break
            time.sleep(wait)
        self.failed_exports += 1
        return False
