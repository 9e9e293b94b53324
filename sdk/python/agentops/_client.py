"""The client, runs, spans and the record calls."""
import asyncio
import atexit
import contextvars
import functools
import http.client
import inspect
import logging
import math
import os
import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar, Union, cast

from . import _control
from ._context import _current
from ._transport import DEFAULT_REQUEST_TIMEOUT_S, FlushResult, Transport
from .errors import AgentOpsError, AgentPausedError, ApiError, ConfigurationError, WaitCancelledError

logger = logging.getLogger("agentops")

F = TypeVar("F", bound=Callable[..., Any])

#: Default of flush(timeout) and of the send at the end of a run in sync mode, in seconds.
DEFAULT_FLUSH_TIMEOUT_S = 5.0
#: The flush at interpreter exit, in seconds.
ATEXIT_FLUSH_TIMEOUT_S = 2.0
#: Timeout of one policy check request, in seconds.
DEFAULT_POLICY_TIMEOUT_S = 10.0
#: Run and span names are cut to this many characters (the server's limit on `name`).
NAME_MAX_CHARS = 256
#: A traceback kept in an error event's metadata is cut to this many characters.

_urandom = os.urandom
_now = time.time


def new_id() -> str:
    """A client event id: 128 random bits as 32 hex characters (uuid4-strength)."""
    return _urandom(16).hex()


def _snap(value: Any) -> Any:
    """A shallow copy of a list or dict payload: events are encoded later, on the worker, so a list the agent keeps
    appending to (a chat history) is recorded as it was at the call. Deeper mutations still show; pass copies."""
    t = type(value)
    if t is list or t is dict:
        return value.copy()
    return value


def _status_of(exc: Optional[BaseException]) -> str:
    if exc is None or isinstance(exc, GeneratorExit):
        return "succeeded"
    if isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError)):
        return "cancelled"
    return "failed"


def _error_text(exc: BaseException) -> str:
    return "%s: %s" % (type(exc).__name__, exc)


#: Makes ending a run or a span a test-and-set: two threads ending the same one send a single end event.
#: One lock for all (held for two attribute accesses, never around I/O).
_END_LOCK = threading.Lock()


def _claim_end(scope: Any) -> bool:
    """True for the one caller that ends ``scope``; False when it was already ended."""
    with _END_LOCK:
        if scope.ended:
            return False
        scope.ended = True
        return True


class _Scope:
    """What events are recorded in: a run (events directly in it have no parent) or a span (their parent)."""

    __slots__ = ()
    client: "Client"
    run: "Run"
    id: str
    _parent_for_children: Optional[str]

    # -- the record calls ---------------------------------------------------------------------------------

    def _record(self, ev: Dict[str, Any]) -> Optional[str]:
        err = ev.get("error")
        if isinstance(err, BaseException):  # an exception given as a tool's / model's error: "Type: message"
            ev["error"] = _error_text(err)
        run: Run = self.run
        ev["run_id"] = run.id
        ev["agent"] = run.agent
        if self._parent_for_children is not None:
            ev["parent_id"] = self._parent_for_children
        return run.client._emit(ev)

    def llm_call(
        self,
        model: str,
        provider: Optional[str] = None,
        tokens_in: Optional[int] = None,
        tokens_out: Optional[int] = None,
        tokens_cached: Optional[int] = None,
        latency_ms: Optional[float] = None,
        time_to_first_token_ms: Optional[float] = None,
        cost_usd: Optional[float] = None,
        input: Any = None,
        output: Any = None,
        *,
        response_model: Optional[str] = None,
        operation: str = "chat",
        name: Optional[str] = None,
        error: Any = None,
        metadata: Optional[Dict[str, Any]] = None,
        timestamp: Optional[float] = None,
    ) -> Optional[str]:
        """Record a model call (an ``llm.call`` event with the GenAI attributes in its metadata). Returns its id."""
        now = _now()
        latency = int(latency_ms) if latency_ms is not None else None
        return self._record({
            "id": _urandom(16).hex(), "type": "llm.call",
            "timestamp": timestamp if timestamp is not None else (
                now - latency / 1000.0 if latency is not None else now),
            "ended_at": now if latency is not None and timestamp is None else None,
            "model": model, "provider": provider, "tokens_in": tokens_in, "tokens_out": tokens_out,
            "tokens_cached": tokens_cached, "latency_ms": latency, "cost_usd": cost_usd,
            "input": _snap(input), "output": _snap(output), "name": name, "error": error, "metadata": metadata,
            "_response_model": response_model, "_operation": operation, "_ttft_ms": time_to_first_token_ms,
        })

    def tool_call(
        self,
        tool: str,
        input: Any = None,
        output: Any = None,
        latency_ms: Optional[float] = None,
        *,
        error: Any = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> Optional[str]:
        """Record a tool call (``tool.call``)."""
        now = _now()
        latency = int(latency_ms) if latency_ms is not None else None
        return self._record({
            "id": _urandom(16).hex(), "type": "tool.call",
            "timestamp": now - latency / 1000.0 if latency else now,
            "tool_name": tool, "input": _snap(input), "output": _snap(output), "latency_ms": latency,
            "error": error, "metadata": metadata,
        })

    def external_action(
        self,
        name: str,
        input: Any = None,
        output: Any = None,
        latency_ms: Optional[float] = None,
        *,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> Optional[str]:
        """Record an action with effects outside the agent (an email sent, a refund made: ``external.action``)."""
        now = _now()
        latency = int(latency_ms) if latency_ms is not None else None
        return self._record({
            "id": _urandom(16).hex(), "type": "external.action",
            "timestamp": now - latency / 1000.0 if latency else now,
            "name": name, "input": _snap(input), "output": _snap(output), "latency_ms": latency,
            "metadata": metadata,
        })

    def log(self, message: str, level: str = "info", *, metadata: Optional[Dict[str, Any]] = None) -> Optional[str]:
        """Record a log line (``log``; the message is its name, cut at 256 characters, whole in its output)."""
        message = str(message)
        md = {"level": level}
        if metadata:
            md.update(metadata)
        return self._record({
            "id": _urandom(16).hex(), "type": "log", "timestamp": _now(),
            "name": message[:NAME_MAX_CHARS], "output": message if len(message) > NAME_MAX_CHARS else None,
            "metadata": md,
        })

    def error(
        self, error: Union[BaseException, str], *, metadata: Optional[Dict[str, Any]] = None
    ) -> Optional[str]:
        """Record an error: an exception (``name`` its type, ``error`` "Type: message", ``metadata["exception.type"]``;
        no traceback, as in the other SDKs) or a message (``name`` ``error``)."""
        md: Dict[str, Any] = {}
        if isinstance(error, BaseException):
            text = _error_text(error)
            name = type(error).__name__
            md["exception.type"] = name
        else:
            text = str(error)
            name = "error"
        if metadata:
            md.update(metadata)
        return self._record({
            "id": _urandom(16).hex(), "type": "error", "timestamp": _now(),
            "name": name[:NAME_MAX_CHARS], "error": text, "metadata": md or None,
        })

    def score(self, name: str, value: float, *, comment: Optional[str] = None,
              metadata: Optional[Dict[str, Any]] = None) -> Optional[str]:
        """Record a score (an evaluation, a user's rating); ``comment`` goes to ``metadata["comment"]``."""
        if comment is not None:
            metadata = dict(metadata or {}, comment=comment)
        return self._record({
            "id": _urandom(16).hex(), "type": "score", "timestamp": _now(),
            "name": name, "score": float(value), "metadata": metadata,
        })

    def span(self, name: str, *, input: Any = None, metadata: Optional[Dict[str, Any]] = None) -> "Span":
        """Start a span inside this run or span (``with run.span("x") as s:`` makes it current in the block)."""
        return Span(self.run, self._parent_for_children, name, input=input, metadata=metadata)


class Run(_Scope):
    """A run: one execution of an agent. ``with`` makes it current and ends it (failed if an exception escapes)."""

    __slots__ = ("client", "id", "name", "agent", "started_at", "ended", "status", "_tokens", "__weakref__")

    def __init__(
        self,
        client: "Client",
        name: str,
        *,
        agent: Optional[str] = None,
        run_id: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        input: Any = None,
        metadata: Optional[Dict[str, Any]] = None,
        environment: Optional[str] = None,
    ) -> None:
        self.client = client
        self.id = run_id or new_id()
        self.name = name
        self.agent: str = agent or client.agent
        self.started_at = _now()
        self.ended = False
        self.status: Optional[str] = None
        self._tokens: "List[contextvars.Token[Any]]" = []
        client._emit({
            "id": new_id(), "type": "run.start", "timestamp": self.started_at,
            "run_id": self.id, "agent": self.agent, "name": name[:NAME_MAX_CHARS],
            "tags": list(tags) if tags else None, "input": input, "metadata": metadata,
            "environment": environment or client.environment,
        })

    @property
    def run(self) -> "Run":  # type: ignore[override]
        return self

    @property
    def _parent_for_children(self) -> Optional[str]:  # type: ignore[override]
        return None

    def end(self, status: str = "succeeded", *, output: Any = None, error: Any = None) -> None:
        """End the run (``succeeded``, ``failed`` or ``cancelled``). Idempotent. In sync mode, sends before returning."""
        if not _claim_end(self):
            return
        self.status = status
        self.client._emit({
            "id": new_id(), "type": "run.end", "timestamp": _now(), "ended_at": _now(),
            "run_id": self.id, "agent": self.agent, "status": status, "output": output,
            "error": _error_text(error) if isinstance(error, BaseException) else error,
        }, may_raise=False)
        if self.client.sync:
            self.client.flush(self.client.flush_timeout)

    def __enter__(self) -> "Run":
        self._tokens.append(_current.set(self))
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        if self._tokens:
            try:
                _current.reset(self._tokens.pop())
            except ValueError:  # exited in another context (a generator moved between tasks): nothing to restore
                pass
        self.end(_status_of(exc), error=exc if exc is not None and _status_of(exc) == "failed" else None)

    def check_policy(self, action: Dict[str, Any], step: Optional[str] = None,
                     context: Optional[Dict[str, Any]] = None) -> _control.PolicyDecision:
        """Ask the control plane about ``action`` in this run (see Client.check_policy)."""
        return self.client.check_policy(action, step=step, context=context, run=self)

    def __repr__(self) -> str:
        return "Run(id=%r, name=%r, agent=%r)" % (self.id, self.name, self.agent)


class Span(_Scope):
    """A span: a named stretch of work in a run, recorded as a ``span`` event when it ends."""

    __slots__ = ("run", "id", "name", "parent_id", "started_at", "ended", "input", "output", "metadata",
                 "_tokens")

    def __init__(self, run: Run, parent_id: Optional[str], name: str, *, input: Any = None,
                 metadata: Optional[Dict[str, Any]] = None) -> None:
        self.run = run
        self.id = new_id()
        self.name = name
        self.parent_id = parent_id
        self.started_at = _now()
        self.ended = False
        self.input = input
        self.output: Any = None
        self.metadata = metadata
        self._tokens: "List[contextvars.Token[Any]]" = []

    @property
    def client(self) -> "Client":  # type: ignore[override]
        return self.run.client

    @property
    def _parent_for_children(self) -> Optional[str]:  # type: ignore[override]
        return self.id

    def set_output(self, output: Any) -> None:
        self.output = output

    def end(self, *, error: Any = None, output: Any = None) -> None:
        """End the span (records it). Idempotent."""
        if not _claim_end(self):
            return
        if output is not None:
            self.output = output
        run = self.run
        run.client._emit({
            "id": self.id, "type": "span", "timestamp": self.started_at, "ended_at": _now(),
            "run_id": run.id, "agent": run.agent, "parent_id": self.parent_id, "name": self.name[:NAME_MAX_CHARS],
            "input": self.input, "output": self.output, "metadata": self.metadata,
            "status": "error" if error is not None else None,
            "error": _error_text(error) if isinstance(error, BaseException) else error,
        }, may_raise=False)

    def __enter__(self) -> "Span":
        self._tokens.append(_current.set(self))
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        if self._tokens:
            try:
                _current.reset(self._tokens.pop())
            except ValueError:
                pass
        self.end(error=exc if _status_of(exc) == "failed" else None)

    def __repr__(self) -> str:
        return "Span(id=%r, name=%r)" % (self.id, self.name)


class Client:
    """The AgentOps client. Thread-safe; one per process is enough (see agentops.init)."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        agent: Optional[str] = None,
        environment: Optional[str] = None,
        *,
        sync: bool = False,
        strict: bool = False,
        max_queue_events: int = 10_000,
        batch_max_events: int = 500,
        batch_max_bytes: int = 1024 * 1024,
        flush_interval: float = 1.0,
        flush_timeout: float = DEFAULT_FLUSH_TIMEOUT_S,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S,
        policy_timeout: float = DEFAULT_POLICY_TIMEOUT_S,
        policy_fallback: str = "block",
        on_paused: Optional[Callable[[str], None]] = None,
        exporters: Sequence[Any] = (),
        native_ingest: bool = True,
        flush_on_exit: bool = True,
    ) -> None:
        self.api_key = api_key or os.environ.get("AGENTOPS_API_KEY")
        self.base_url = (base_url or os.environ.get("AGENTOPS_URL") or "").rstrip("/") or None
        self.agent: str = agent or os.environ.get("AGENTOPS_AGENT") or "default"
        self.environment = environment or os.environ.get("AGENTOPS_ENVIRONMENT")
        self.sync = sync
        self.strict = strict
        self.flush_timeout = flush_timeout
        self.policy_timeout = policy_timeout
        if policy_fallback not in ("allow", "block"):
            raise ConfigurationError("policy_fallback must be 'allow' or 'block'")
        self.policy_fallback = policy_fallback
        self.on_paused = on_paused
        self._paused: Dict[str, Optional[str]] = {}
        self._paused_lock = threading.Lock()
        self._adhoc_run_id = new_id()
        self._step_unsupported = False
        if self.base_url is None or (self.api_key is None and native_ingest):
            missing = "AGENTOPS_URL (base_url)" if self.base_url is None else "AGENTOPS_API_KEY (api_key)"
            if strict:
                raise ConfigurationError("agentops: %s is not set" % missing)
            logger.warning("agentops: %s is not set: nothing will be sent", missing)
        self._transport = Transport(
            self.base_url, self.api_key, sync=sync, max_queue_events=max_queue_events,
            batch_max_events=batch_max_events, batch_max_bytes=batch_max_bytes, flush_interval=flush_interval,
            request_timeout=request_timeout, on_agent_paused=self._mark_paused,
            on_agent_accepted=self._clear_paused, is_paused=self._is_paused_fast, exporters=exporters,
            native_ingest=native_ingest,
        )
        self.enabled = self._transport.enabled
        self._closed = False
        if flush_on_exit and self.enabled:
            atexit.register(_flush_on_exit, weakref.ref(self))

    # ---- configuration ---------------------------------------------------------------------------------

    @property
    def max_queue_events(self) -> int:
        return self._transport.max_queue_events

    def _headers(self) -> Dict[str, str]:
        return {"Authorization": "Bearer %s" % (self.api_key or ""), "Accept": "application/json",
                "User-Agent": "agentops-python"}

    # ---- runs and spans -----------------------------------------------------------------------------------

    def start_run(self, name: str, *, agent: Optional[str] = None, run_id: Optional[str] = None,
                  tags: Optional[Sequence[str]] = None, input: Any = None,
                  metadata: Optional[Dict[str, Any]] = None, environment: Optional[str] = None) -> Run:
        """Start a run now (end it with ``run.end(status)``; ``with client.run(...)`` does both)."""
        return Run(self, name, agent=agent, run_id=run_id, tags=tags, input=input, metadata=metadata,
                   environment=environment)

    def run(self, name: Optional[str] = None, **kwargs: Any) -> "RunHandle":
        """``with client.run("name") as run:`` or ``@client.run()`` (sync, async and generator functions)."""
        return RunHandle(lambda: self, name, kwargs)

    # ---- recording ----------------------------------------------------------------------------------------

    def _emit(self, ev: Dict[str, Any], may_raise: bool = True) -> Optional[str]:
        """Queue ``ev``. ``may_raise=False`` (ending a run or a span, as .NET's mayThrow and TypeScript's _endRun):
        strict mode's paused signal is not raised there, so it never replaces the body's own exception."""
        if may_raise and self._paused and ev["agent"] in self._paused and self.strict:
            raise AgentPausedError(ev["agent"], self._paused.get(ev["agent"]))
        if not self.enabled:
            return None
        self._transport.enqueue(ev)
        return cast(str, ev["id"])

    # ---- transport ----------------------------------------------------------------------------------------

    def flush(self, timeout: Optional[float] = None) -> FlushResult:
        """Send what is queued. Always returns within ``timeout`` seconds (default 5) with the unsent count."""
        try:
            return self._transport.flush(self.flush_timeout if timeout is None else timeout)
        except Exception:  # noqa: BLE001 - never throws into the application
            logger.exception("agentops: flush failed")
            return FlushResult(self._transport.pending())

    def close(self, timeout: Optional[float] = None) -> FlushResult:
        """Flush, then stop the worker. Recording afterwards is dropped."""
        self._closed = True
        result = self._transport.close(self.flush_timeout if timeout is None else timeout)
        self.enabled = False
        return result

    def _at_exit(self) -> None:
        if not self._closed:
            try:
                self.close(ATEXIT_FLUSH_TIMEOUT_S)
            except Exception:  # noqa: BLE001
                pass

    def stats(self) -> Dict[str, Any]:
        """Counters: queued (waiting now, in flight included), sent, retries, batches, dropped_queue_full,
        dropped_paused, dropped_rejected, dropped_invalid, rejected_by_code (a dict)."""
        return self._transport.stats()

    # ---- paused agents ------------------------------------------------------------------------------------

    def _is_paused_fast(self, agent: str) -> bool:
        return agent in self._paused

    def is_paused(self, agent: Optional[str] = None) -> bool:
        """Whether the server said the agent (default: the client's) is paused."""
        return (agent or self.agent) in self._paused

    def _mark_paused(self, agent: str, reason: Optional[str] = None) -> None:
        with self._paused_lock:
            if agent in self._paused:
                return
            self._paused[agent] = reason
        logger.warning("agentops: agent %r is paused: its events are no longer sent", agent)
        if self.on_paused is not None:
            try:
                self.on_paused(agent)
            except Exception:  # noqa: BLE001
                logger.exception("agentops: on_paused callback failed")

    def _clear_paused(self, agent: str) -> None:
        with self._paused_lock:
            if self._paused.pop(agent, False) is not False:
                logger.info("agentops: agent %r is no longer paused", agent)

    # ---- control ------------------------------------------------------------------------------------------

    def check_policy(
        self,
        action: Dict[str, Any],
        step: Optional[str] = None,
        context: Optional[Dict[str, Any]] = None,
        *,
        run: Optional[Run] = None,
        agent: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> _control.PolicyDecision:
        """Ask the control plane whether ``action`` may go ahead (``POST /api/v1/policy/check``).

        ``step`` names the step in its run: a repeated check of the same run and step returns the approval request
        already made. Raises AgentPausedError when the agent is paused (or the kill switch is on). When the server
        cannot be reached or answers an error, returns a decision of ``policy_fallback`` (default ``block``) with
        reason ``check_failed`` (the problem's code in ``problem_code``) and ``from_server`` False (``not_configured``
        without a URL or key); in strict mode raises instead (``ApiError`` / ``AgentOpsError`` / ``ConfigurationError``).
        """
        if run is None:
            scope = _current.get()
            run = scope.run if scope is not None else None
        agent = agent or (run.agent if run is not None else self.agent)
        body: Dict[str, Any] = {"run_id": run.id if run is not None else self._adhoc_run_id, "agent": agent,
                                "action": action}
        if context is not None:
            body["context"] = context
        if step is not None:
            body["step"] = step
        if self.base_url is None or self.api_key is None:
            if self.strict:
                raise ConfigurationError("agentops: AGENTOPS_URL (base_url) or AGENTOPS_API_KEY (api_key) is not set")
            return _control.PolicyDecision({"decision": self.policy_fallback, "reason": "not_configured"}, self,
                                           from_server=False)
        if self._step_unsupported:
            body.pop("step", None)
        try:
            try:
                doc = _control.http_json("POST", self.base_url + "/api/v1/policy/check", self._headers(), body,
                                         self.policy_timeout if timeout is None else timeout)
            except ApiError as e:
                if not (e.status == 400 and e.code == "unknown_field" and "step" in body):
                    raise
                # A server older than idempotent steps: ask without it (a repeated check then makes a new request).
                self._step_unsupported = True
                logger.warning("agentops: this server does not take policy check steps; checks are not idempotent")
                body.pop("step")
                doc = _control.http_json("POST", self.base_url + "/api/v1/policy/check", self._headers(), body,
                                         self.policy_timeout if timeout is None else timeout)
        except (OSError, ApiError, ValueError, http.client.HTTPException) as e:
            if agent in self._paused:
                raise AgentPausedError(agent, self._paused.get(agent)) from None
            if self.strict:
                if isinstance(e, ApiError):
                    raise
                raise AgentOpsError("agentops: policy check failed: %s" % e) from e
            logger.warning("agentops: policy check failed (%s): answering %s", e, self.policy_fallback)
            code = (e.code or "http_%d" % e.status) if isinstance(e, ApiError) else None
            return _control.PolicyDecision({"decision": self.policy_fallback, "reason": "check_failed"}, self,
                                           from_server=False, problem_code=code)
        decision = _control.PolicyDecision(doc or {}, self)
        if decision.reason in ("agent_paused", "org_killed") and decision.decision == "block":
            self._mark_paused(agent, decision.reason)
            raise AgentPausedError(agent, decision.reason)
        if agent in self._paused:
            self._clear_paused(agent)
        return decision

    async def acheck_policy(self, action: Dict[str, Any], step: Optional[str] = None,
                            context: Optional[Dict[str, Any]] = None, *, run: Optional[Run] = None,
                            agent: Optional[str] = None) -> _control.PolicyDecision:
        """check_policy on a worker thread (the event loop keeps running); the current run follows."""
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()

        def check() -> _control.PolicyDecision:
            return ctx.run(self.check_policy, action, step, context, run=run, agent=agent)
        return await loop.run_in_executor(None, check)

    def wait_for_approval(self, approval_id: str, timeout: float = 300.0,
                          cancel: Optional[threading.Event] = None) -> str:
        """Long-poll an approval request until it is decided, ``timeout`` seconds pass or ``cancel`` is set.

        Returns ``approved``, ``rejected``, ``expired`` or ``pending`` (timed out); setting ``cancel`` raises
        ``WaitCancelledError`` (``await_approval``: cancelling the task raises ``CancelledError``). Each poll asks the
        server to wait at most 60 s and never longer than the time left. Network errors are retried until the
        timeout (strict mode raises them); a refusal (4xx other than 408/429) raises ``ApiError``.
        """
        if self.base_url is None:
            return "pending"
        base = self.base_url
        deadline = time.monotonic() + max(0.0, timeout)
        failures = 0
        while True:
            remaining = deadline - time.monotonic()
            if cancel is not None and cancel.is_set():
                raise WaitCancelledError("agentops: the wait for approval %s was cancelled" % approval_id)
            if remaining >= 1.0:
                poll = int(min(_control.APPROVAL_POLL_MAX_S, math.floor(remaining + 0.05)))
                url = _control.approval_wait_url(base, approval_id, poll)
                sock_timeout = min(poll + _control.APPROVAL_POLL_GRACE_S, remaining + 0.5)
            else:
                url = _control.approval_url(base, approval_id)
                sock_timeout = max(0.05, remaining)
            def poll_once(url: str = url, sock_timeout: float = sock_timeout) -> Any:
                return _control.http_json("GET", url, self._headers(), None, sock_timeout)

            poll_started = time.monotonic()
            try:
                doc: Any = _control.run_cancellable(poll_once, cancel, sock_timeout + 0.5)
                if doc is None and cancel is not None and cancel.is_set():
                    raise WaitCancelledError("agentops: the wait for approval %s was cancelled" % approval_id)
            except (OSError, ValueError, ApiError, http.client.HTTPException) as e:  # IncompleteRead: a cut answer
                if self.strict or (isinstance(e, ApiError) and e.status < 500 and e.status not in (408, 429)):
                    raise  # a refusal (unknown id, no read scope) is not worth waiting out
                failures += 1
                logger.warning("agentops: approval wait failed (%s); retrying", e)
                doc = None
                pause = min(5.0, 0.25 * (2 ** min(failures, 5)))
                if cancel is not None:
                    cancel.wait(min(pause, max(0.0, deadline - time.monotonic())))
                else:
                    time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            status = (doc or {}).get("status") if isinstance(doc, dict) else None
            if status in _control.APPROVAL_FINAL_STATUSES:
                return cast(str, status)
            if remaining < 1.0 or time.monotonic() >= deadline:
                return "pending"
            # answered well before its timeout_s (pending, an empty body): wait out the minimum interval
            early = _control.APPROVAL_MIN_POLL_INTERVAL_S - (time.monotonic() - poll_started)
            if early > 0:
                pause = min(early, max(0.0, deadline - time.monotonic()))
                if cancel is not None:
                    cancel.wait(pause)
                else:
                    time.sleep(pause)

    async def await_approval(self, approval_id: str, timeout: float = 300.0) -> str:
        """wait_for_approval without blocking the event loop; cancelling the awaiting task stops the wait."""
        cancel = threading.Event()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self.wait_for_approval, approval_id, timeout, cancel)
        finally:
            cancel.set()


def _flush_on_exit(ref: "weakref.ReferenceType[Client]") -> None:
    client = ref()
    if client is not None:
        client._at_exit()


# ---- handles: context managers and decorators ------------------------------------------------------------


class RunHandle:
    """``with client.run("x") as run:`` starts a run; ``@client.run()`` starts one per call of the function."""

    def __init__(self, get_client: Callable[[], Client], name: Optional[str], kwargs: Dict[str, Any]) -> None:
        self._get_client = get_client
        self._name = name
        self._kwargs = kwargs
        #: Runs entered through this handle and not yet exited, by id: one handle may be entered on several
        #: threads or tasks at once; each exit ends the one current in its own context.
        self._open: Dict[int, Run] = {}

    def _start(self, default_name: str) -> Run:
        return self._get_client().start_run(self._name or default_name, **self._kwargs)

    def __enter__(self) -> Run:
        run = self._start("run")
        self._open[id(run)] = run
        return run.__enter__()

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        scope = _current.get()
        run = self._open.pop(id(scope), None) if scope is not None else None
        if run is not None:
            run.__exit__(exc_type, exc, tb)

    def __call__(self, fn: F) -> F:
        return _decorate(fn, lambda: self._start(getattr(fn, "__qualname__", "run")))


class SpanHandle:
    """``with agentops.span("x") as span:`` / ``@agentops.span()``: a span in the current run or span.

    Outside any run nothing is recorded (a no-op span; strict mode raises)."""

    def __init__(self, name: Optional[str], kwargs: Dict[str, Any]) -> None:
        self._name = name
        self._kwargs = kwargs
        #: Spans entered through this handle and not yet exited, by id (see RunHandle._open).
        self._open: Dict[int, Span] = {}

    def _start(self, default_name: str) -> Union[Span, "_NoopSpan"]:
        scope = _current.get()
        if scope is None:
            client = _global_client
            if client is not None and client.strict:
                raise AgentOpsError("agentops.span() outside a run")
            logger.debug("agentops: span %r outside a run: not recorded", self._name or default_name)
            return _NoopSpan()
        return scope.span(self._name or default_name, **self._kwargs)

    def __enter__(self) -> Union[Span, "_NoopSpan"]:
        span = self._start("span")
        if isinstance(span, Span):
            self._open[id(span)] = span
        return span.__enter__()

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        scope = _current.get()
        span = self._open.pop(id(scope), None) if scope is not None else None
        if span is not None:  # None: a no-op span (outside any run)
            span.__exit__(exc_type, exc, tb)

    def __call__(self, fn: F) -> F:
        return _decorate(fn, lambda: self._start(getattr(fn, "__qualname__", "span")))


class _NoopSpan:
    """Stands for a span outside any run: records nothing."""

    id = ""
    name = ""

    def __enter__(self) -> "_NoopSpan":
        return self

    def __exit__(self, *a: Any) -> None:
        return None

    def end(self, **kwargs: Any) -> None:
        return None

    def set_output(self, output: Any) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


def _decorate(fn: F, start: Callable[[], Any]) -> F:
    """Wrap ``fn`` so that each call runs in a new scope (run or span) made current: sync, async, generators."""
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            with start():
                return await fn(*args, **kwargs)
        return cast(F, async_wrapper)

    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def asyncgen_wrapper(*args: Any, **kwargs: Any) -> Any:
            scope = start()
            ctx = contextvars.copy_context()
            ctx.run(_current.set, scope)
            agen: Any = ctx.run(fn, *args, **kwargs)
            error: Optional[BaseException] = None
            try:
                value: Any = None
                while True:
                    try:
                        # each step runs in the scope's context: the scope is current inside the generator only
                        item = await _in_context(ctx, agen.asend(value))
                    except StopAsyncIteration:
                        return
                    try:
                        value = yield item
                    except GeneratorExit:
                        await agen.aclose()
                        raise
            except BaseException as e:
                error = e
                raise
            finally:
                scope.__exit__(type(error) if error else None, error, None)
        return cast(F, asyncgen_wrapper)

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            scope = start()
            ctx = contextvars.copy_context()
            ctx.run(_current.set, scope)
            gen: Any = ctx.run(fn, *args, **kwargs)
            error: Optional[BaseException] = None
            try:
                try:
                    item = ctx.run(next, gen)
                except StopIteration as stop:
                    return stop.value
                while True:
                    try:
                        sent = yield item
                    except GeneratorExit:
                        ctx.run(gen.close)
                        raise
                    except BaseException as thrown:
                        try:
                            item = ctx.run(gen.throw, thrown)
                        except StopIteration as stop:
                            return stop.value
                    else:
                        try:
                            item = ctx.run(gen.send, sent)
                        except StopIteration as stop:
                            return stop.value
            except BaseException as e:
                error = e
                raise
            finally:
                scope.__exit__(type(error) if error else None, error, None)
        return cast(F, gen_wrapper)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with start():
            return fn(*args, **kwargs)
    return cast(F, wrapper)


async def _in_context(ctx: contextvars.Context, awaitable: Any) -> Any:
    """Await ``awaitable`` (an async generator step) with ``ctx`` as the context of the steps it runs."""
    coro = awaitable
    # Drive the coroutine by hand so that each of its steps runs inside ctx.
    send_value: Any = None
    exc: Optional[BaseException] = None
    while True:
        try:
            if exc is not None:
                yielded = ctx.run(coro.throw, exc)
            else:
                yielded = ctx.run(coro.send, send_value)
        except StopIteration as stop:
            return stop.value
        exc = None
        try:
            send_value = await _Yield(yielded)
        except BaseException as e:  # noqa: BLE001 - forwarded into the coroutine
            exc = e


class _Yield:
    """An awaitable that yields one value to the event loop (what a coroutine step yielded) and returns its answer."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        return (yield self.value)


# ---- the module-level client ---------------------------------------------------------------------------

_global_client: Optional[Client] = None
_global_lock = threading.Lock()


def init(**kwargs: Any) -> Client:
    """Create the process's client (``agentops.init(api_key=..., base_url=..., agent=...)``) and return it."""
    global _global_client
    with _global_lock:
        old = _global_client
        _global_client = Client(**kwargs)
    if old is not None:
        old.close(0.5)
    return _global_client


def get_client() -> Client:
    """The client made by init(); made from the environment (AGENTOPS_URL, ...) on first use otherwise."""
    global _global_client
    if _global_client is None:
        with _global_lock:
            if _global_client is None:
                _global_client = Client()
    return _global_client


def run(name: Optional[str] = None, **kwargs: Any) -> RunHandle:
    """``with agentops.run("x") as run:`` / ``@agentops.run()`` with the module's client."""
    return RunHandle(get_client, name, kwargs)


def span(name: Optional[str] = None, **kwargs: Any) -> SpanHandle:
    """``with agentops.span("x") as span:`` / ``@agentops.span()``: a span in the current run or span."""
    return SpanHandle(name, kwargs)


def _scope_or_warn(what: str) -> Optional[_Scope]:
    scope = _current.get()
    if scope is None:
        client = _global_client
        if client is not None and client.strict:
            raise AgentOpsError("agentops.%s() outside a run" % what)
        if client is not None:
            client._transport.count_invalid()
        logger.debug("agentops: %s outside a run: not recorded (counted in dropped_invalid)", what)
    return scope


def llm_call(model: str, provider: Optional[str] = None, tokens_in: Optional[int] = None,
             tokens_out: Optional[int] = None, tokens_cached: Optional[int] = None,
             latency_ms: Optional[float] = None, time_to_first_token_ms: Optional[float] = None,
             cost_usd: Optional[float] = None, input: Any = None, output: Any = None, **kwargs: Any) -> Optional[str]:
    """Record an LLM call in the current run or span (nothing outside a run)."""
    scope = _current.get() or _scope_or_warn("llm_call")
    if scope is None:
        return None
    return scope.llm_call(model, provider, tokens_in, tokens_out, tokens_cached, latency_ms,
                          time_to_first_token_ms, cost_usd, input, output, **kwargs)


def tool_call(tool: str, input: Any = None, output: Any = None, latency_ms: Optional[float] = None,
              **kwargs: Any) -> Optional[str]:
    """Record a tool call in the current run or span."""
    scope = _current.get() or _scope_or_warn("tool_call")
    return None if scope is None else scope.tool_call(tool, input, output, latency_ms, **kwargs)


def external_action(name: str, input: Any = None, output: Any = None, latency_ms: Optional[float] = None,
                    **kwargs: Any) -> Optional[str]:
    """Record an external action in the current run or span."""
    scope = _current.get() or _scope_or_warn("external_action")
    return None if scope is None else scope.external_action(name, input, output, latency_ms, **kwargs)


def log(message: str, level: str = "info", **kwargs: Any) -> Optional[str]:
    """Record a log line in the current run or span."""
    scope = _current.get() or _scope_or_warn("log")
    return None if scope is None else scope.log(message, level, **kwargs)


def error(err: Union[BaseException, str], **kwargs: Any) -> Optional[str]:
    """Record an error (an exception or a message) in the current run or span."""
    scope = _current.get() or _scope_or_warn("error")
    return None if scope is None else scope.error(err, **kwargs)


def score(name: str, value: float, **kwargs: Any) -> Optional[str]:
    """Record a score in the current run or span."""
    scope = _current.get() or _scope_or_warn("score")
    return None if scope is None else scope.score(name, value, **kwargs)


def check_policy(action: Dict[str, Any], step: Optional[str] = None,
                 context: Optional[Dict[str, Any]] = None, **kwargs: Any) -> _control.PolicyDecision:
    """check_policy in the current run, with its client (the module's client outside any run)."""
    scope = _current.get()
    client = scope.run.client if scope is not None else get_client()
    return client.check_policy(action, step, context, **kwargs)


def flush(timeout: Optional[float] = None) -> FlushResult:
    """flush() of the module's client."""
    return get_client().flush(timeout)

