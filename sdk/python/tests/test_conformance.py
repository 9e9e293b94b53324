"""The conformance suite (sdk/conformance): one test per scenario file, interpreted step by step against the real
self-host named by AGENTOPS_SDK_TEST_URL. Scenarios are loaded from the directory, never hard-coded."""
import json
import os
import re
import socket
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional

import agentops
from agentops.errors import AgentPausedError

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.normpath(os.path.join(HERE, "..", "..", "conformance", "scenarios"))
ENV_VARS = ("AGENTOPS_SDK_TEST_URL", "AGENTOPS_SDK_TEST_API_KEY", "AGENTOPS_SDK_TEST_ADMIN_EMAIL",
            "AGENTOPS_SDK_TEST_ADMIN_PASSWORD")
#: Event types written by the platform itself, not counted by expect_events.
PLATFORM_TYPES = ("policy.decision", "approval.decision")
#: Timeout of one API request made by the runner.
API_TIMEOUT_S = 30.0


def closed_port_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d" % port


class Api:
    """The runner's own HTTP: the admin (bearer token from /auth/login) and the SDK key for reads."""

    def __init__(self, url: str, key: str, email: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.key = key
        self.email = email
        self.password = password
        self._token: Optional[str] = None
        self._token_at = 0.0

    def _admin_token(self) -> str:
        if self._token is None or time.time() - self._token_at > 600:
            doc = self.request("POST", "/api/v1/auth/login", {"email": self.email, "password": self.password},
                               auth=None)
            self._token = doc["access_token"]
            self._token_at = time.time()
        return self._token

    def request(self, method: str, path: str, body: Any = None, auth: Optional[str] = "key",
                expect_ok: bool = True) -> Any:
        headers = {"Accept": "application/json"}
        if auth == "key":
            headers["Authorization"] = "Bearer " + self.key
        elif auth == "admin":
            headers["Authorization"] = "Bearer " + self._admin_token()
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=API_TIMEOUT_S) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            if expect_ok:
                raise AssertionError("%s %s -> HTTP %d %s" % (method, path, e.code, raw[:500].decode("utf-8", "replace")))
            return {"_status": e.code, "_body": raw.decode("utf-8", "replace")}
        return json.loads(raw.decode("utf-8")) if raw else None

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        return self.request(method, path, body, auth="admin")

    def pages(self, path: str, auth: str = "key") -> List[Dict[str, Any]]:
        items: List[Dict[str, Any]] = []
        cursor: Optional[str] = None
        while True:
            sep = "&" if "?" in path else "?"
            p = path + sep + "limit=%d" % (1000 if path.startswith("/api/v1/events") else 200)
            if cursor:
                p += "&cursor=" + urllib.parse.quote(cursor)
            doc = self.request("GET", p, auth=auth, expect_ok=False)
            if doc.get("_status") == 404 and path.startswith("/api/v1/events/"):
                return items  # the run is not stored yet
            if "_status" in doc:
                raise AssertionError("GET %s -> HTTP %s %s" % (p, doc["_status"], doc.get("_body", "")[:500]))
            items.extend(doc.get("items") or [])
            cursor = doc.get("next_cursor")
            if not cursor:
                return items


class Scenario:
    """Interprets one scenario's steps."""

    def __init__(self, test: unittest.TestCase, api: Api, name: str) -> None:
        self.t = test
        self.api = api
        self.unique = os.urandom(4).hex()
        self.agent = "conf-python-%s-%s" % (name, self.unique)
        self.unreachable = closed_port_url()
        self.client: Optional[agentops.Client] = None
        self.handles: Dict[str, Any] = {}
        self.paused_calls: List[str] = []
        self.policies: List[str] = []
        self.faults: List[str] = []
        self.threads: List[threading.Thread] = []

    def sub(self, v: Any) -> Any:
        if isinstance(v, str):
            return v.replace("$agent", self.agent).replace("$unique", self.unique).replace(
                "$unreachable", self.unreachable)
        if isinstance(v, list):
            return [self.sub(x) for x in v]
        if isinstance(v, dict):
            return {k: self.sub(x) for k, x in v.items()}
        return v

    def run(self, steps: List[Dict[str, Any]]) -> None:
        try:
            for i, step in enumerate(steps):
                step = self.sub(step)
                op = step.get("op")
                fn = getattr(self, "op_" + str(op), None)
                if fn is None:
                    self.t.fail("step %d: unknown op %r" % (i, op))
                try:
                    fn(step)
                except AssertionError as e:
                    raise AssertionError("step %d (%s): %s" % (i, op, e)) from None
        finally:
            self.cleanup()

    def cleanup(self) -> None:
        for th in self.threads:
            th.join(5)
        for pid in self.policies:
            try:
                self.api.request("DELETE", "/api/v1/policies/" + pid, auth="admin", expect_ok=False)
            except Exception:  # noqa: BLE001
                pass
        if self.faults:
            # clear them only if one of ours is still armed (DELETE clears every fault of the organization)
            try:
                doc = self.api.admin("GET", "/api/v1/test/faults")
                if any(f.get("id") in self.faults and f.get("remaining", 0) > 0 for f in doc.get("items", [])):
                    self.api.request("DELETE", "/api/v1/test/faults", auth="admin", expect_ok=False)
            except Exception:  # noqa: BLE001
                pass
        if self.client is not None:
            self.client.close(0.5)

    # ---- the SDK -----------------------------------------------------------------------------------------

    def op_client(self, s: Dict[str, Any]) -> None:
        endpoint = s.get("endpoint", "server")
        url = self.api.url if endpoint == "server" else endpoint
        kwargs: Dict[str, Any] = {}
        if "sync" in s:
            kwargs["sync"] = bool(s["sync"])
        if "batch_max_events" in s:
            kwargs["batch_max_events"] = s["batch_max_events"]
        if "flush_interval_s" in s:
            kwargs["flush_interval"] = s["flush_interval_s"]
        if "max_queue_events" in s:
            kwargs["max_queue_events"] = s["max_queue_events"]
        self.client = agentops.Client(api_key=self.api.key, base_url=url, agent=self.agent,
                                      on_paused=self.paused_calls.append, flush_on_exit=False, **kwargs)

    def op_start_run(self, s: Dict[str, Any]) -> None:
        assert self.client is not None, "no client step"
        self.handles[s["as"]] = self.client.start_run(s["name"])

    def op_start_span(self, s: Dict[str, Any]) -> None:
        self.handles[s["as"]] = self.handles[s["parent"]].span(s["name"])

    def op_end_span(self, s: Dict[str, Any]) -> None:
        self.handles[s["ref"]].end()

    def op_llm_call(self, s: Dict[str, Any]) -> None:
        self.handles[s["parent"]].llm_call(
            s["model"], s.get("provider"), s.get("tokens_in"), s.get("tokens_out"), s.get("tokens_cached"),
            s.get("latency_ms"))

    def op_tool_call(self, s: Dict[str, Any]) -> None:
        self.handles[s["parent"]].tool_call(s["tool"], s.get("input"), s.get("output"), s.get("latency_ms"))

    def op_external_action(self, s: Dict[str, Any]) -> None:
        self.handles[s["parent"]].external_action(s["name"], s.get("input"))

    def op_log(self, s: Dict[str, Any]) -> None:
        count = int(s.get("count", 1))
        for i in range(count):
            self.handles[s["parent"]].log(s["message"] if count == 1 else "%s-%d" % (s["message"], i))

    def op_error(self, s: Dict[str, Any]) -> None:
        self.handles[s["parent"]].error(s["message"])

    def op_score(self, s: Dict[str, Any]) -> None:
        self.handles[s["parent"]].score(s["name"], s["value"])

    def op_end_run(self, s: Dict[str, Any]) -> None:
        self.handles[s["ref"]].end(s.get("status", "succeeded"))

    def op_burst(self, s: Dict[str, Any]) -> None:
        run = self.handles[s["run"]]
        per_task = int(s["events_per_task"])
        barrier = threading.Barrier(int(s["tasks"]))

        def task(k: int) -> None:
            barrier.wait(30)
            # the ambient context only: no parent is named
            with agentops.span("task-%d" % k):
                for i in range(per_task):
                    agentops.log("t%d-%d" % (k, i))

        with agentops.use(run):
            with agentops.ContextThreadPoolExecutor(max_workers=int(s["tasks"])) as pool:
                futures = [pool.submit(task, k) for k in range(int(s["tasks"]))]
        for f in futures:
            f.result()

    def op_flush(self, s: Dict[str, Any]) -> None:
        assert self.client is not None
        start = time.monotonic()
        result = self.client.flush(float(s["timeout_s"]))
        elapsed = time.monotonic() - start
        if "expect_within_s" in s:
            self.t.assertLessEqual(elapsed, float(s["expect_within_s"]), "flush took %.2fs" % elapsed)
        if "expect_unsent" in s:
            self.t.assertEqual(result.unsent, s["expect_unsent"], "unsent; stats %s" % self.client.stats())
        if "expect_unsent_at_least" in s:
            self.t.assertGreaterEqual(result.unsent, s["expect_unsent_at_least"])

    # ---- admin -------------------------------------------------------------------------------------------

    def op_arm_fault(self, s: Dict[str, Any]) -> None:
        body = {k: s[k] for k in ("path", "status", "when", "times", "retry_after_s") if k in s}
        doc = self.api.admin("POST", "/api/v1/test/faults", body)
        if isinstance(doc, dict) and doc.get("id"):
            self.faults.append(doc["id"])

    def op_expect_fault_hits(self, s: Dict[str, Any]) -> None:
        doc = self.api.admin("GET", "/api/v1/test/faults")
        # only the faults this scenario armed: the organization may be shared with other runners
        mine = [f for f in doc.get("items", []) if f.get("path") == s["path"] and f.get("id") in self.faults]
        hits = sum(int(f.get("hits", 0)) for f in mine)
        self.t.assertEqual(hits, s["hits"], "fault hits on %s: %s" % (s["path"], doc))

    def op_create_policy(self, s: Dict[str, Any]) -> None:
        body = dict(s["body"])
        if body.get("action") == "require_approval" and "approval_required_from" not in body:
            # the server requires the roles that may approve; the runner's admin decides (see the report)
            body["approval_required_from"] = ["admin"]
        doc = self.api.admin("POST", "/api/v1/policies", body)
        self.policies.append(doc["id"])
        self.handles[s["as"]] = doc

    def _agent_id(self) -> str:
        for a in self.api.pages("/api/v1/agents", auth="admin"):
            if a.get("name") == self.agent:
                return a["id"]
        raise AssertionError("agent %s not registered" % self.agent)

    def op_pause_agent(self, s: Dict[str, Any]) -> None:
        self.api.admin("POST", "/api/v1/controls/pause-agent/" + self._agent_id(), {"reason": "conformance"})

    def op_check_policy(self, s: Dict[str, Any]) -> None:
        assert self.client is not None
        run = self.handles[s["run"]] if "run" in s else None
        decision = self.client.check_policy(s["action"], step=s.get("step"), run=run)
        self.handles[s["as"]] = decision
        if "expect_decision" in s:
            self.t.assertEqual(decision.decision, s["expect_decision"], repr(decision))
        if "expect_reason" in s:
            self.t.assertEqual(decision.reason, s["expect_reason"])
        if "expect_same_approval_as" in s:
            first = self.handles[s["expect_same_approval_as"]]
            self.t.assertIsNotNone(decision.approval)
            self.t.assertEqual(decision.approval.id, first.approval.id, "a repeated step made a new request")
        if "expect_approval_status" in s:
            self.t.assertIsNotNone(decision.approval)
            self.t.assertEqual(decision.approval.status, s["expect_approval_status"])

    def op_wait_for_approval(self, s: Dict[str, Any]) -> None:
        decision = self.handles[s["ref"]]
        self.t.assertIsNotNone(decision.approval, "the check made no approval request")
        approval_id = decision.approval.id
        errors: List[BaseException] = []

        def approve() -> None:
            time.sleep(float(s.get("approve_after_ms", 0)) / 1000.0)
            try:
                self.api.admin("POST", "/api/v1/approvals/%s/approve" % approval_id, {"comment": "conformance"})
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        th = threading.Thread(target=approve, daemon=True)
        th.start()
        self.threads.append(th)
        status = decision.wait_for_approval(float(s["timeout_s"]))
        th.join(10)
        if errors:
            raise errors[0]
        self.t.assertEqual(status, s["expect_status"])

    def op_expect_paused(self, s: Dict[str, Any]) -> None:
        assert self.client is not None
        self.t.assertTrue(self.client.is_paused(self.agent), "is_paused; stats %s" % self.client.stats())
        self.t.assertEqual(self.paused_calls, [self.agent], "on_paused calls")
        runs = [h for h in self.handles.values() if isinstance(h, agentops.Run)]
        with self.t.assertRaises(AgentPausedError):
            self.client.check_policy({"type": "conformance_probe"}, run=runs[0] if runs else None)
        self.t.assertTrue(self.client.is_paused(self.agent))
        self.t.assertEqual(len(self.paused_calls), 1, "on_paused must be called once")

    def op_expect_stats(self, s: Dict[str, Any]) -> None:
        assert self.client is not None
        st = self.client.stats()
        if "retries_at_least" in s:
            self.t.assertGreaterEqual(st["retries"], s["retries_at_least"], st)
        if "dropped_paused_at_least" in s:
            self.t.assertGreaterEqual(st["dropped_paused"], s["dropped_paused_at_least"], st)
        if "dropped_queue_full" in s:
            self.t.assertEqual(st["dropped_queue_full"], s["dropped_queue_full"], st)
        if "rejected_at_least" in s:
            self.t.assertGreaterEqual(st["dropped_rejected"], s["rejected_at_least"], st)

    # ---- reading back ------------------------------------------------------------------------------------

    def _events(self, run_id: str) -> List[Dict[str, Any]]:
        items = self.api.pages("/api/v1/events/" + urllib.parse.quote(run_id, safe=""))
        return [e for e in items if e.get("type") not in PLATFORM_TYPES]

    def op_expect_events(self, s: Dict[str, Any]) -> None:
        run = self.handles[s["run"]]
        want = int(s["count"])
        deadline = time.monotonic() + float(s.get("wait_s", 60))
        events = self._events(run.id)
        while len(events) < want and time.monotonic() < deadline:
            time.sleep(0.5)
            events = self._events(run.id)
        time.sleep(1.0)
        events = self._events(run.id)
        types: Dict[str, int] = {}
        for e in events:
            types[e["type"]] = types.get(e["type"], 0) + 1
        self.t.assertEqual(len(events), want, "stored events by type: %s; stats %s" % (
            types, self.client.stats() if self.client else None))
        ids = [e["id"] for e in events]
        self.t.assertEqual(len(ids), len(set(ids)), "duplicated event ids")
        by_id = {e["id"]: e for e in events}

        def parent_name(e: Dict[str, Any]) -> Optional[str]:
            p = e.get("parent_id")
            if p is None:
                return None
            return (by_id.get(p) or {}).get("name", "<unknown parent %s>" % p)

        if s.get("events"):
            used = set()
            for exp in s["events"]:
                found = None
                for e in events:
                    if e["id"] in used or e["type"] != exp["type"]:
                        continue
                    if "name" in exp and e.get("name") != exp["name"]:
                        continue
                    if "parent" in exp and parent_name(e) != exp["parent"]:
                        continue
                    if any(e.get(k) != v for k, v in (exp.get("fields") or {}).items()):
                        continue
                    found = e
                    break
                self.t.assertIsNotNone(found, "no stored event matches %s among %s" % (exp, [
                    {"type": e["type"], "name": e.get("name"), "parent": parent_name(e)} for e in events]))
                used.add(found["id"])  # type: ignore[index]
        if s.get("tasks_consistent"):
            pattern = re.compile(r"^t(\d+)-(\d+)$")
            checked = 0
            for e in events:
                m = pattern.match(e.get("name") or "") if e["type"] == "log" else None
                if m:
                    checked += 1
                    self.t.assertEqual(parent_name(e), "task-%s" % m.group(1), "log %s" % e.get("name"))
            self.t.assertGreater(checked, 0)

    def op_expect_run(self, s: Dict[str, Any]) -> None:
        run = self.handles[s["run"]]
        doc = self.api.request("GET", "/api/v1/runs/" + urllib.parse.quote(run.id, safe=""))
        r = doc.get("run", doc)
        if "status" in s:
            self.t.assertEqual(r.get("status"), s["status"])
        for k, v in (s.get("fields") or {}).items():
            self.t.assertEqual(r.get(k), v, "run field %s" % k)

    def op_expect_approvals(self, s: Dict[str, Any]) -> None:
        run = self.handles[s["run"]]
        items = self.api.pages("/api/v1/approvals?run_id=" + urllib.parse.quote(run.id, safe=""), auth="admin")
        self.t.assertEqual(len(items), int(s["count"]), "approval requests of the run")


class ConformanceTests(unittest.TestCase):
    """Filled below with one test_<scenario> method per file in sdk/conformance/scenarios."""

    api: Optional[Api] = None

    def setUp(self) -> None:
        # per test, so that each scenario is reported as skipped, naming what is missing
        missing = [v for v in ENV_VARS if not os.environ.get(v)]
        if missing:
            self.skipTest("conformance: %s not set" % ", ".join(missing))
        if ConformanceTests.api is None:
            ConformanceTests.api = Api(os.environ["AGENTOPS_SDK_TEST_URL"], os.environ["AGENTOPS_SDK_TEST_API_KEY"],
                      os.environ["AGENTOPS_SDK_TEST_ADMIN_EMAIL"], os.environ["AGENTOPS_SDK_TEST_ADMIN_PASSWORD"])


class RunnerTests(unittest.TestCase):
    """The interpreter itself, without a server."""

    def test_an_unknown_op_fails_the_scenario(self) -> None:
        sc = Scenario(self, Api("http://127.0.0.1:9", "k", "e", "p"), "meta")
        with self.assertRaises(AssertionError) as ctx:
            sc.run([{"op": "no_such_op"}])
        self.assertIn("unknown op", str(ctx.exception))

    def test_substitutions(self) -> None:
        sc = Scenario(self, Api("http://127.0.0.1:9", "k", "e", "p"), "meta")
        self.assertRegex(sc.agent, r"^conf-python-meta-[0-9a-f]{8}$")
        got = sc.sub({"a": ["$agent", {"b": "x_$unique"}], "c": "$unreachable", "n": 3})
        self.assertEqual(got["a"][0], sc.agent)
        self.assertEqual(got["a"][1]["b"], "x_" + sc.unique)
        self.assertRegex(got["c"], r"^http://127\.0\.0\.1:\d+$")
        self.assertEqual(got["n"], 3)

    def test_every_scenario_file_became_a_test(self) -> None:
        files = [f for f in os.listdir(SCENARIOS) if f.endswith(".json")]
        self.assertGreater(len(files), 0)
        for f in files:
            self.assertTrue(hasattr(ConformanceTests, "test_" + re.sub(r"\W", "_", f[:-5])), f)


def _make_test(path: str) -> Any:
    def test(self: ConformanceTests) -> None:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        assert self.api is not None
        Scenario(self, self.api, doc["name"]).run(doc["steps"])
    test.__doc__ = "conformance scenario %s" % os.path.basename(path)
    return test


for _file in sorted(os.listdir(SCENARIOS)) if os.path.isdir(SCENARIOS) else []:
    if _file.endswith(".json"):
        _name = re.sub(r"\W", "_", _file[:-5])
        setattr(ConformanceTests, "test_" + _name, _make_test(os.path.join(SCENARIOS, _file)))
