"""Typed errors. Recording never raises them unless the client is in strict mode; control calls document theirs."""
from typing import Optional


class AgentOpsError(Exception):
    """Base class of every error the SDK raises."""


class ConfigurationError(AgentOpsError):
    """The client is not configured (no URL or no API key) or an argument is invalid (strict mode)."""


class AgentPausedError(AgentOpsError):
    """The agent is paused (or the organization's kill switch is on): stop acting.

    Raised by check_policy when the server answers ``agent_paused`` (or the agent is known paused), and in strict
    mode by the record calls while the agent is paused.
    """

    def __init__(self, agent: str, reason: Optional[str] = None) -> None:
        super().__init__("agent %r is paused%s" % (agent, (": " + reason) if reason else ""))
        self.agent = agent
        self.reason = reason


class ApiError(AgentOpsError):
    """The server refused a control call (an RFC 9457 problem); ``code`` is its stable code."""

    def __init__(self, status: int, code: Optional[str], detail: Optional[str] = None) -> None:
        super().__init__("HTTP %d %s%s" % (status, code or "", (": " + detail) if detail else ""))
        self.status = status
        self.code = code
        self.detail = detail


class WaitCancelledError(AgentOpsError):
    """``wait_for_approval`` was cancelled through its ``cancel`` event (the approval request stays as it is)."""
