"""AgentOps SDK for Python: observe and control AI agents without ever hurting them.

Quick start::

    import agentops
    agentops.init(api_key="aok_...", base_url="https://agentops.example.com", agent="support-bot")
    with agentops.run("answer ticket") as run:
        with agentops.span("draft"):
            agentops.llm_call("gpt-4o-mini", "openai", tokens_in=1200, tokens_out=300, latency_ms=850)
"""
from ._client import (
    ATEXIT_FLUSH_TIMEOUT_S,
    DEFAULT_FLUSH_TIMEOUT_S,
    Client,
    Run,
    RunHandle,
    Span,
    SpanHandle,
    check_policy,
    error,
    external_action,
    flush,
    get_client,
    init,
    llm_call,
    log,
    new_id,
    run,
    score,
    span,
    tool_call,
)
from ._context import ContextThreadPoolExecutor, current_run, current_scope, current_span, use, wrap
from ._control import Approval, PolicyDecision
from ._openai import wrap_openai
from ._transport import FlushResult
from .errors import AgentOpsError, AgentPausedError, ApiError, ConfigurationError, WaitCancelledError

__version__ = "0.1.0"

__all__ = [
    "ATEXIT_FLUSH_TIMEOUT_S", "DEFAULT_FLUSH_TIMEOUT_S",
    "AgentOpsError", "AgentPausedError", "ApiError", "Approval", "Client", "ConfigurationError",
    "ContextThreadPoolExecutor", "FlushResult", "PolicyDecision", "Run", "RunHandle", "Span", "SpanHandle",
    "check_policy", "current_run", "current_scope", "current_span", "error", "external_action", "flush",
    "get_client", "init", "llm_call", "log", "new_id", "run", "score", "span", "tool_call", "use", "wrap",
    "wrap_openai", "WaitCancelledError", "__version__",
]
