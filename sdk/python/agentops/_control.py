"""Control calls (policy checks, approvals): synchronous HTTP on the caller's thread, bounded by timeouts."""
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, TypeVar, cast

from .errors import AgentOpsError, ApiError

if TYPE_CHECKING:  # pragma: no cover
    from ._client import Client

T = TypeVar("T")

#: The server answers a long poll after at most this many seconds (GET /approvals/{id}/wait?timeout_s= is 1–60).
APPROVAL_POLL_MAX_S = 60
#: Extra socket time over a long poll's own timeout, for the answer to arrive.
APPROVAL_POLL_GRACE_S = 5.0
#: The shortest time between two approval polls: a server answering ``pending`` at once is not asked in a hot loop.
APPROVAL_MIN_POLL_INTERVAL_S = 1.0
#: Approval statuses that end a wait.
APPROVAL_FINAL_STATUSES = ("approved", "rejected", "expired")


def http_json(
    method: str, url: str, headers: Dict[str, str], body: Any = None, timeout: float = 10.0
) -> Any:
    """One JSON request; raises ApiError for non-2xx answers and OSError for network failures."""
    data = None
    h = dict(headers)
    if body is not None:
        data = json.dumps(body, separators=(",", ":"), default=str).encode("utf-8")
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=max(0.05, timeout)) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        raw = e.read() if e.fp is not None else b""
        code = detail = None
        try:
            doc = json.loads(raw.decode("utf-8"))
            code, detail = doc.get("code"), doc.get("detail") or doc.get("title")
        except (ValueError, AttributeError):
            pass
        raise ApiError(e.code, code, detail) from None
    if not raw:
        return None
    return json.loads(raw.decode("utf-8"))


def run_cancellable(fn: Callable[[], T], cancel: Optional[threading.Event], timeout: float) -> Optional[T]:
    """Run ``fn`` on a helper thread; None when ``cancel`` is set or ``timeout`` passes first."""
    if cancel is None:
        return fn()
    box: List[Any] = []
    done = threading.Event()

    def target() -> None:
        try:
            box.append((True, fn()))
        except BaseException as e:  # noqa: BLE001 - re-raised on the caller's thread
            box.append((False, e))
        done.set()

    threading.Thread(target=target, name="agentops-approval-wait", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not done.is_set():
        if cancel.is_set() or time.monotonic() >= deadline:
            return None
        done.wait(min(0.05, max(0.0, deadline - time.monotonic())))
    ok, value = box[0]
    if not ok:
        raise value
    return cast(T, value)


class Approval:
    """The approval request a ``require_approval`` decision made (or the one a repeated step already had)."""

    __slots__ = ("id", "status", "expires_at", "wait_url")

    def __init__(self, doc: Dict[str, Any]) -> None:
        self.id: str = doc.get("id", "")
        self.status: str = doc.get("status", "pending")
        self.expires_at: Optional[str] = doc.get("expires_at")
        self.wait_url: Optional[str] = doc.get("wait_url")

    def __repr__(self) -> str:
        return "Approval(id=%r, status=%r)" % (self.id, self.status)


class PolicyDecision:
    """The answer of a policy check: ``allow``, ``block`` or ``require_approval``."""

    __slots__ = ("decision", "reason", "policy", "matched", "approval", "check_id", "from_server", "problem_code",
                 "_client")

    def __init__(self, doc: Dict[str, Any], client: "Optional[Client]" = None, *, from_server: bool = True,
                 problem_code: Optional[str] = None) -> None:
        self.decision: str = doc.get("decision", "block")
        self.reason: Optional[str] = doc.get("reason")
        self.policy: Optional[Dict[str, Any]] = doc.get("policy")
        self.matched: List[str] = list(doc.get("matched") or [])
        a = doc.get("approval")
        self.approval: Optional[Approval] = Approval(a) if isinstance(a, dict) else None
        self.check_id: Optional[str] = doc.get("check_id")
        #: False when the server was not asked or could not answer: the decision is the client's ``policy_fallback``.
        self.from_server = from_server
        #: The problem's ``code`` (or ``http_<status>``) when the server answered the check with an error.
        self.problem_code = problem_code
        self._client = client

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    @property
    def blocked(self) -> bool:
        return self.decision == "block"

    @property
    def requires_approval(self) -> bool:
        return self.decision == "require_approval"

    def wait_for_approval(self, timeout: float = 300.0, cancel: Optional[threading.Event] = None) -> str:
        """Wait for the approval request's decision: ``approved``, ``rejected``, ``expired`` or ``pending`` (timed out
        or cancelled). An ``allow`` answers ``approved`` and a ``block`` ``rejected`` at once."""
        if self.approval is None:
            return "approved" if self.decision == "allow" else "rejected"
        if self._client is None:
            raise AgentOpsError("this decision has no client to wait with")
        status = self._client.wait_for_approval(self.approval.id, timeout, cancel=cancel)
        self.approval.status = status
        return status

    def __repr__(self) -> str:
        return "PolicyDecision(decision=%r, reason=%r, approval=%r, from_server=%r)" % (
            self.decision, self.reason, self.approval, self.from_server)


def approval_wait_url(base_url: str, approval_id: str, poll_s: int) -> str:
    return "%s/api/v1/approvals/%s/wait?timeout_s=%d" % (
        base_url.rstrip("/"), urllib.parse.quote(approval_id, safe=""), poll_s)


def approval_url(base_url: str, approval_id: str) -> str:
    return "%s/api/v1/approvals/%s" % (base_url.rstrip("/"), urllib.parse.quote(approval_id, safe=""))
