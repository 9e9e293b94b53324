"""wrap_openai: record every chat completion of an ``openai`` client (duck-typed: the package is not imported)."""
import functools
import inspect
import logging
import time
from typing import Any, Dict, List, Optional

from ._client import Client, _Scope, get_client
from ._context import _current

logger = logging.getLogger("agentops")

#: The provider name recorded unless wrap_openai(provider=...) says otherwise (an OpenAI-compatible endpoint).
DEFAULT_PROVIDER = "openai"


def _get(obj: Any, name: str) -> Any:
    """An attribute of an SDK object, or a key of a dict (the wire format)."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _usage(usage: Any) -> Dict[str, Optional[int]]:
    details = _get(usage, "prompt_tokens_details")
    return {
        "tokens_in": _get(usage, "prompt_tokens"),
        "tokens_out": _get(usage, "completion_tokens"),
        "tokens_cached": _get(details, "cached_tokens"),
    }


def _message_text(response: Any) -> Any:
    choices = _get(response, "choices") or []
    out: List[Any] = []
    for c in choices:
        msg = _get(c, "message")
        content = _get(msg, "content")
        tool_calls = _get(msg, "tool_calls")
        if tool_calls and not content:
            out.append({"tool_calls": [_get(_get(t, "function"), "name") for t in tool_calls]})
        else:
            out.append(content)
    return out[0] if len(out) == 1 else out


class _Recorder:
    """The state of one call: what to record when it ends."""

    def __init__(self, ao: "Optional[Client]", provider: str, kwargs: Dict[str, Any], capture: bool) -> None:
        self.ao = ao
        self.provider = provider
        self.model = kwargs.get("model")
        self.input = kwargs.get("messages") if capture else None
        self.capture = capture
        self.scope: Optional[_Scope] = _current.get()
        self.start = time.perf_counter()
        self.first: Optional[float] = None
        self.response_model: Optional[str] = None
        self.usage: Dict[str, Optional[int]] = {}
        self.parts: List[str] = []
        self.done = False

    def chunk(self, chunk: Any) -> None:
        if self.first is None:
            self.first = time.perf_counter()
        m = _get(chunk, "model")
        if m:
            self.response_model = m
        u = _get(chunk, "usage")
        if u:
            self.usage = _usage(u)
        if self.capture:
            for c in _get(chunk, "choices") or []:
                text = _get(_get(c, "delta"), "content")
                if text:
                    self.parts.append(text)

    def finish(self, response: Any = None, error: Optional[BaseException] = None) -> None:
        if self.done:
            return
        self.done = True
        try:
            end = time.perf_counter()
            output: Any = None
            if response is not None:
                self.response_model = _get(response, "model") or self.response_model
                u = _get(response, "usage")
                if u:
                    self.usage = _usage(u)
                if self.capture:
                    output = _message_text(response)
            elif self.capture and self.parts:
                output = "".join(self.parts)
            scope = self.scope
            if scope is None:
                client = self.ao or get_client()
                if not client.enabled:
                    return
                run = client.start_run("chat.completions")
                scope = run
            else:
                run = None
            scope.llm_call(
                str(self.model or self.response_model or "unknown"), self.provider,
                self.usage.get("tokens_in"), self.usage.get("tokens_out"), self.usage.get("tokens_cached"),
                latency_ms=(end - self.start) * 1000.0,
                time_to_first_token_ms=None if self.first is None else (self.first - self.start) * 1000.0,
                input=self.input, output=output, response_model=self.response_model,
                error=None if error is None else "%s: %s" % (type(error).__name__, error),
            )
            if run is not None:
                run.end("failed" if error is not None else "succeeded")
        except Exception:  # noqa: BLE001 - recording never breaks the model call
            logger.exception("agentops: recording an OpenAI call failed")


class _StreamWrapper:
    """Iterates the provider's stream unchanged; records the call at its end, or when the consumer stops early."""

    def __init__(self, stream: Any, rec: _Recorder) -> None:
        self._stream = stream
        self._rec = rec
        self._it: Any = None

    def __iter__(self) -> "_StreamWrapper":
        return self

    def __next__(self) -> Any:
        if self._it is None:
            self._it = iter(self._stream)
        try:
            chunk = next(self._it)
        except StopIteration:
            self._rec.finish()
            raise
        except BaseException as e:
            self._rec.finish(error=e)
            raise
        self._rec.chunk(chunk)
        return chunk

    def close(self) -> None:
        self._rec.finish()
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> "_StreamWrapper":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._rec.finish()
        except Exception:  # noqa: BLE001
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _AsyncStreamWrapper:
    """The async form of _StreamWrapper."""

    def __init__(self, stream: Any, rec: _Recorder) -> None:
        self._stream = stream
        self._rec = rec
        self._it: Any = None

    def __aiter__(self) -> "_AsyncStreamWrapper":
        return self

    async def __anext__(self) -> Any:
        if self._it is None:
            self._it = self._stream.__aiter__()
        try:
            chunk = await self._it.__anext__()
        except StopAsyncIteration:
            self._rec.finish()
            raise
        except BaseException as e:
            self._rec.finish(error=e)
            raise
        self._rec.chunk(chunk)
        return chunk

    async def close(self) -> None:
        self._rec.finish()
        close = getattr(self._stream, "close", None) or getattr(self._stream, "aclose", None)
        if close is not None:
            result = close()
            if inspect.isawaitable(result):
                await result

    async def __aenter__(self) -> "_AsyncStreamWrapper":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __del__(self) -> None:
        try:
            self._rec.finish()
        except Exception:  # noqa: BLE001
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def wrap_openai(client: Any, *, agentops_client: Optional[Client] = None, provider: str = DEFAULT_PROVIDER,
                capture_content: bool = True) -> Any:
    """Record every ``client.chat.completions.create`` call (sync or async client, streamed or not) as an LLM call
    in the current run or span: model, provider, tokens (cached included), latency, time to first token, and the
    messages and answer unless ``capture_content=False``. Outside any run each call gets a run of its own.

    Patches the client instance in place and returns it. The ``openai`` package is not imported: any object with
    the same shape works. Recording never changes what the call returns or raises.
    """
    completions = client.chat.completions
    original = completions.create
    if getattr(original, "_agentops_wrapped", False):
        return client

    if inspect.iscoroutinefunction(original):
        @functools.wraps(original)
        async def acreate(*args: Any, **kwargs: Any) -> Any:
            rec = _Recorder(agentops_client, provider, kwargs, capture_content)
            try:
                result = await original(*args, **kwargs)
            except BaseException as e:
                rec.finish(error=e)
                raise
            if kwargs.get("stream"):
                return _AsyncStreamWrapper(result, rec)
            rec.finish(result)
            return result
        acreate._agentops_wrapped = True  # type: ignore[attr-defined]
        completions.create = acreate
    else:
        @functools.wraps(original)
        def create(*args: Any, **kwargs: Any) -> Any:
            rec = _Recorder(agentops_client, provider, kwargs, capture_content)
            try:
                result = original(*args, **kwargs)
            except BaseException as e:
                rec.finish(error=e)
                raise
            if kwargs.get("stream"):
                return _StreamWrapper(result, rec)
            rec.finish(result)
            return result
        create._agentops_wrapped = True  # type: ignore[attr-defined]
        completions.create = create
    return client
