"""Transport: batching, gzip, retries, 207 handling, drop counters, flush bounds, sync mode, paused agents."""
import gzip
import json
import logging
import os
import threading
import time
import unittest
from typing import Any, List
from unittest import mock

import agentops
from agentops import _transport
from agentops.errors import AgentPausedError, ConfigurationError

from .fakes import FakeServer, Request, replies
from .test_conformance import closed_port_url

logging.getLogger("agentops").setLevel(logging.CRITICAL)


def make(server: FakeServer, **kw: Any) -> agentops.Client:
    kw.setdefault("flush_on_exit", False)
    return agentops.Client(api_key="aok_test", base_url=server.url, agent="bot", **kw)


class TransportTests(unittest.TestCase):
    def setUp(self) -> None:
        self.server = FakeServer()
        self.clients: List[agentops.Client] = []

    def tearDown(self) -> None:
        for c in self.clients:
            c.close(0.2)
        self.server.close()

    def client(self, **kw: Any) -> agentops.Client:
        c = make(self.server, **kw)
        self.clients.append(c)
        return c

    # ---- batching ----------------------------------------------------------------------------------------

    def test_batches_by_event_count_and_sends_everything_once(self) -> None:
        c = self.client(batch_max_events=10, flush_interval=30)
        run = c.start_run("r")
        for i in range(23):
            run.log("m%d" % i)
        run.end()
        self.assertEqual(c.flush(5).unsent, 0)
        sizes = [len(r.batch) for r in self.server.ingest_requests()]
        self.assertTrue(all(s <= 10 for s in sizes), sizes)
        ids = [e["id"] for e in self.server.events()]
        self.assertEqual(len(ids), 25)
        self.assertEqual(len(set(ids)), 25)
        st = c.stats()
        self.assertEqual((st["sent"], st["queued"]), (25, 0))
        self.assertEqual(st["batches"], len(self.server.ingest_requests()))  # answered batches; ≥ 3 of ≤ 10

    def test_a_full_batch_is_sent_without_waiting_for_the_interval(self) -> None:
        c = self.client(batch_max_events=5, flush_interval=30)
        run = c.start_run("r")
        for i in range(9):
            run.log("m%d" % i)
        deadline = time.monotonic() + 5
        while not self.server.ingest_requests() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(len(self.server.ingest_requests()[0].batch), 5)

    def test_batches_by_bytes(self) -> None:
        c = self.client(batch_max_bytes=4096, flush_interval=30)
        run = c.start_run("r")
        for i in range(20):
            run.log("x" * 100, metadata={"pad": "y" * 800})
        self.assertEqual(c.flush(5).unsent, 0)
        reqs = self.server.ingest_requests()
        self.assertGreater(len(reqs), 3)
        for r in reqs:
            self.assertLessEqual(len(r.body), 4096 + 64)
        self.assertEqual(len(self.server.events()), 21)

    def test_interval_sends_without_a_flush(self) -> None:
        c = self.client(flush_interval=0.1)
        c.start_run("r").log("hello")
        deadline = time.monotonic() + 3
        while len(self.server.events()) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(len(self.server.events()), 2)

    def test_gzip_above_one_kib_only(self) -> None:
        c = self.client()
        run = c.start_run("r")
        c.flush(5)
        run.log("big", metadata={"pad": "z" * 4000})
        c.flush(5)
        small, big = self.server.ingest_requests()
        self.assertIsNone(small.headers.get("content-encoding"))
        self.assertEqual(big.headers.get("content-encoding"), "gzip")
        self.assertLess(len(big.raw), len(big.body))
        self.assertEqual(big.batch[0]["metadata"]["pad"], "z" * 4000)

    def test_a_server_refusing_gzip_gets_plain_bodies(self) -> None:
        self.server.script("/api/v1/ingest", lambda r: (415, {}, {"code": "unsupported_content_encoding"})
                           if r.headers.get("content-encoding") else (202, {}, {"accepted": len(r.batch)}))
        c = self.client()
        c.start_run("r").log("big", metadata={"pad": "z" * 4000})
        self.assertEqual(c.flush(5).unsent, 0)
        plain = [r for r in self.server.ingest_requests() if not r.headers.get("content-encoding")]
        self.assertEqual(sum(len(r.batch) for r in plain), 2)
        self.assertEqual(c.stats()["dropped_rejected"], 0)

    def test_event_shape(self) -> None:
        c = self.client(environment="prod")
        with c.run("shape", tags=["a"], input={"q": 1}) as run:
            with agentops.span("outer") as outer:
                agentops.llm_call("gpt-4o", "openai", 10, 5, 3, latency_ms=200, time_to_first_token_ms=50,
                                  cost_usd=0.01, input="hi", output="yo", response_model="gpt-4o-2024")
            run.score("q", 1)
        c.flush(5)
        evs = {e["type"]: e for e in self.server.events()}
        self.assertEqual(set(evs), {"run.start", "span", "llm.call", "score", "run.end"})
        for e in evs.values():
            self.assertEqual(e["run_id"], run.id)
            self.assertEqual(e["agent"], "bot")
            self.assertRegex(e["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        self.assertEqual(evs["run.start"]["tags"], ["a"])
        self.assertEqual(evs["run.start"]["environment"], "prod")
        self.assertEqual(evs["run.end"]["status"], "succeeded")
        self.assertEqual(evs["span"]["id"], outer.id)
        self.assertNotIn("parent_id", evs["span"])
        self.assertIn("ended_at", evs["span"])
        self.assertEqual(evs["llm.call"]["parent_id"], outer.id)
        self.assertNotIn("parent_id", evs["score"])
        md = evs["llm.call"]["metadata"]
        self.assertEqual(md["gen_ai.operation.name"], "chat")
        self.assertEqual(md["gen_ai.provider.name"], "openai")
        self.assertEqual(md["gen_ai.request.model"], "gpt-4o")
        self.assertEqual(md["gen_ai.response.model"], "gpt-4o-2024")
        self.assertEqual(evs["llm.call"]["model"], "gpt-4o-2024")
        self.assertNotIn("time_to_first_token_ms", md)
        self.assertEqual(md["gen_ai.usage.input_tokens"], 10)
        self.assertEqual(md["gen_ai.usage.output_tokens"], 5)
        self.assertEqual(md["gen_ai.usage.cache_read.input_tokens"], 3)
        self.assertAlmostEqual(md["gen_ai.response.time_to_first_chunk"], 0.05)
        self.assertEqual(evs["llm.call"]["latency_ms"], 200)
        self.assertEqual(evs["llm.call"]["cost_usd"], 0.01)
        for e in evs.values():
            self.assertFalse([k for k in e if k.startswith("_")])

    # ---- retries -----------------------------------------------------------------------------------------

    def test_retries_honour_retry_after_and_resend_the_same_ids(self) -> None:
        self.server.script("/api/v1/ingest", replies((503, {"Retry-After": "1"}, {"code": "ingest_backlogged"}),
                                                    (429, {"Retry-After": "1"}, {"code": "rate_limited"})))
        c = self.client()
        c.start_run("r").log("a")
        self.assertEqual(c.flush(10).unsent, 0)
        reqs = self.server.ingest_requests()
        self.assertEqual(len(reqs), 3)
        self.assertGreaterEqual(reqs[1].at - reqs[0].at, 0.95)
        self.assertGreaterEqual(reqs[2].at - reqs[1].at, 0.95)
        self.assertEqual([e["id"] for e in reqs[0].batch], [e["id"] for e in reqs[2].batch])
        st = c.stats()
        self.assertEqual((st["retries"], st["sent"], st["dropped_rejected"]), (2, 2, 0))

    def test_a_keep_alive_connection_the_server_closed_is_reopened_at_once(self) -> None:
        closing = [False]

        def script(r: Request) -> Any:
            return 202, ({"Connection": "close"} if closing[0] else {}), {"accepted": len(r.batch)}
        self.server.script("/api/v1/ingest", script)
        c = self.client()
        c.start_run("r")
        c.flush(5)
        sender = c._transport._sender
        self.assertIsNotNone(sender._conn)  # kept alive
        assert sender._conn is not None and sender._conn.sock is not None
        sender._conn.sock.shutdown(2)  # as if the server had dropped the idle connection
        c.start_run("r2")
        self.assertEqual(c.flush(5).unsent, 0)
        self.assertEqual(c.stats()["retries"], 0)
        self.assertEqual(len(self.server.events()), 2)

    def test_error_score_and_log_records_have_the_shape_of_the_other_sdks(self) -> None:
        c = self.client()
        with c.run("shapes") as run:
            try:
                raise ValueError("bad")
            except ValueError as e:
                run.error(e)
            run.error("plain")
            run.score("helpfulness", 0.8, comment="good")
            run.log("L" * 300)
        agentops.log("outside any run")  # no current run: not recorded, counted
        c.flush(5)
        evs = self.server.events()
        errors = [e for e in evs if e["type"] == "error"]
        self.assertEqual((errors[0]["name"], errors[0]["error"], errors[0]["metadata"]),
                         ("ValueError", "ValueError: bad", {"exception.type": "ValueError"}))
        self.assertEqual((errors[1]["name"], errors[1]["error"]), ("error", "plain"))
        score = next(e for e in evs if e["type"] == "score")
        self.assertEqual((score["score"], score["metadata"]), (0.8, {"comment": "good"}))
        log = next(e for e in evs if e["type"] == "log")
        self.assertEqual((len(log["name"]), len(log["output"]), log["metadata"]), (256, 300, {"level": "info"}))
        for e in evs:
            self.assertRegex(e["id"], r"^[0-9a-f]{32}$")
        self.assertRegex(run.id, r"^[0-9a-f]{32}$")

    def test_network_errors_and_408_are_retried(self) -> None:
        calls = []

        def script(r: Request) -> Any:
            calls.append(1)
            if len(calls) == 1:
                return 408, {}, {"code": "timeout"}
            return 202, {}, {"accepted": len(r.batch)}
        self.server.script("/api/v1/ingest", script)
        c = self.client()
        c.start_run("r")
        self.assertEqual(c.flush(10).unsent, 0)
        self.assertEqual(c.stats()["retries"], 1)

    def test_4xx_is_dropped_and_counted_not_retried(self) -> None:
        self.server.script("/api/v1/ingest", replies((400, {}, {"code": "malformed_json"})))
        c = self.client()
        c.start_run("r").log("x")
        self.assertEqual(c.flush(5).unsent, 0)
        st = c.stats()
        self.assertEqual(len(self.server.ingest_requests()), 1)
        self.assertEqual(st["dropped_rejected"], 2)
        self.assertEqual(st["rejected_by_code"], {"malformed_json": 2})

    def test_a_413_halves_the_batches_and_loses_nothing(self) -> None:
        self.server.script("/api/v1/ingest", lambda r: (413, {}, {"code": "batch_exceeds_burst"})
                           if len(r.batch) > 8 else (202, {}, {"accepted": len(r.batch)}))
        c = self.client(batch_max_events=50, flush_interval=30)
        run = c.start_run("r")
        for i in range(39):
            run.log("m%d" % i)
        self.assertEqual(c.flush(5).unsent, 0)
        accepted = [r for r in self.server.ingest_requests() if len(r.batch) <= 8]
        names = [e.get("name") for r in accepted for e in r.batch]
        self.assertEqual(names, ["r"] + ["m%d" % i for i in range(39)])
        self.assertEqual(c.stats()["dropped_rejected"], 0)

    def test_exporters_get_each_event_once_after_a_413_split(self) -> None:
        class Recorder:
            def __init__(self) -> None:
                self.ids: List[str] = []

            def export(self, events: Any, timeout: float) -> bool:
                assert all(not k.startswith("_exported") for e in events for k in e)
                self.ids.extend(e["id"] for e in events)
                return True
        rec = Recorder()
        self.server.script("/api/v1/ingest", lambda r: (413, {}, {"code": "payload_too_large"})
                           if len(r.batch) > 2 else (202, {}, {"accepted": len(r.batch)}))
        c = self.client(exporters=[rec], flush_interval=30)
        run = c.start_run("r")
        for i in range(6):
            run.log("m%d" % i)
        run.end()
        self.assertEqual(c.flush(5).unsent, 0)
        accepted = [e["id"] for r in self.server.ingest_requests() if len(r.batch) <= 2 for e in r.batch]
        self.assertEqual(len(accepted), 8)
        self.assertEqual(sorted(rec.ids), sorted(accepted))
        self.assertTrue(all("_exported_to" not in e for e in self.server.events()))

    def test_207_items_are_counted_by_code_and_not_resent(self) -> None:
        def multi(r: Request) -> Any:
            results = []
            for i, e in enumerate(r.batch):
                if e["type"] == "log":
                    results.append({"index": i, "id": e["id"], "status": "rejected", "code": "invalid_value"})
                else:
                    results.append({"index": i, "id": e["id"], "status": "accepted"})
            return 207, {}, {"accepted": 1, "rejected": len(r.batch) - 1, "results": results}
        self.server.script("/api/v1/ingest", multi)
        c = self.client()
        run = c.start_run("r")
        run.log("a")
        run.log("b")
        self.assertEqual(c.flush(5).unsent, 0)
        self.assertEqual(len(self.server.ingest_requests()), 1)
        st = c.stats()
        self.assertEqual((st["sent"], st["dropped_rejected"]), (1, 2))
        self.assertEqual(st["rejected_by_code"], {"invalid_value": 2})

    def test_a_malformed_207_counts_the_batch_as_sent_once_in_both_modes(self) -> None:
        bodies = [{"results": [{"index": 0, "status": 1}]}, {"results": ["x"]}, {"results": {"a": 1}}, [1], b"{nope"]
        for sync in (False, True):
            for body in bodies:
                self.server.requests.clear()
                self.server.scripts[:] = [("/api/v1/ingest", lambda r, body=body: (207, {}, body))]
                c = self.client(sync=sync, flush_interval=30)
                c.start_run("r")
                self.assertEqual(c.flush(5).unsent, 0, (sync, body))
                self.assertEqual(len(self.server.ingest_requests()), 1, (sync, body))
                self.assertEqual(c.stats()["sent"], 1)
                self.assertEqual(c.close(1).unsent, 0)

    def test_backoff_is_full_jitter_bounded_and_never_below_retry_after(self) -> None:
        for attempt in range(10):
            for _ in range(50):
                d = _transport.backoff_delay(attempt)
                self.assertGreaterEqual(d, 0)
                self.assertLessEqual(d, min(30.0, 0.5 * 2 ** attempt))
        self.assertGreaterEqual(_transport.backoff_delay(0, 7.0), 7.0)
        self.assertEqual(_transport.parse_retry_after("3"), 3.0)
        self.assertEqual(_transport.parse_retry_after(None), 0.0)
        self.assertEqual(_transport.parse_retry_after("garbage"), 0.0)
        self.assertGreater(_transport.parse_retry_after("Fri, 31 Dec 2999 23:59:59 GMT"), 1000)

    # ---- bounds --------------------------------------------------------------------------------------------

    def test_a_full_queue_drops_the_newest_and_counts(self) -> None:
        c = self.client(sync=True, max_queue_events=5)
        run = c.start_run("r")  # 1
        for i in range(9):
            run.log("m%d" % i)
        st = c.stats()
        self.assertEqual((st["queued"], st["dropped_queue_full"]), (5, 5))
        c.flush(5)
        self.assertEqual([e.get("name") for e in self.server.events()], ["r", "m0", "m1", "m2", "m3"])

    def test_the_bound_counts_the_batch_in_flight(self) -> None:
        self.server.script("/api/v1/ingest", lambda r: None)
        c = self.client(max_queue_events=10, batch_max_events=5, flush_interval=0.05)
        run = c.start_run("r")
        deadline = time.monotonic() + 5
        while not self.server.ingest_requests() and time.monotonic() < deadline:
            time.sleep(0.01)  # the worker holds the first batch (1 event) in flight
        for i in range(30):
            run.log("m%d" % i)
        st = c.stats()
        self.assertEqual(st["queued"], 10)
        self.assertEqual(st["dropped_queue_full"], 21)

    def test_a_flush_that_reports_nothing_unsent_means_everything_was_acknowledged(self) -> None:
        c = self.client(batch_max_events=500, max_queue_events=50_000)
        for round_ in range(5):
            run = c.start_run("r%d" % round_)
            for i in range(2_498):
                run.log("m%d" % i)
            run.end()
            self.assertEqual(c.flush(30).unsent, 0)
            st = c.stats()
            self.assertEqual((st["sent"], st["dropped_queue_full"]), (2_500 * (round_ + 1), 0), st)

    def test_flush_returns_within_its_timeout_when_the_server_never_answers(self) -> None:
        self.server.script("/api/v1/ingest", lambda r: None)
        for sync in (False, True):
            c = self.client(sync=sync, request_timeout=30)
            c.start_run("r").log("x")
            start = time.monotonic()
            result = c.flush(0.5)
            elapsed = time.monotonic() - start
            self.assertLess(elapsed, 0.8, "sync=%s" % sync)
            self.assertEqual(result.unsent, 2)
            self.assertFalse(result.ok)
            self.assertTrue(result.timed_out)

    def test_a_sync_flush_is_bounded_when_the_server_drips_its_answer(self) -> None:
        # each read meets its socket timeout, but the answer never ends: only an overall bound returns on time
        def drip(h: Any) -> None:
            data = b'{"accepted": 2, "rejected": 0}'
            try:
                h.send_response(202)
                h.send_header("Content-Length", str(len(data)))
                h.end_headers()
                h.wfile.flush()
                for i in range(len(data)):
                    if self.server.release.wait(0.2):
                        return
                    h.wfile.write(data[i:i + 1])
                    h.wfile.flush()
            except OSError:
                pass
        self.server.script("/api/v1/ingest", lambda r: (202, {}, drip))
        c = self.client(sync=True, request_timeout=30, flush_timeout=1.0)
        run = c.start_run("r")
        start = time.monotonic()
        result = c.flush(1.0)
        self.assertLess(time.monotonic() - start, 1.3)
        self.assertEqual(result.unsent, 1)
        run.log("x")
        start = time.monotonic()
        run.end()  # the earlier batch is still in flight: this flush gives up on time as well
        self.assertLess(time.monotonic() - start, 1.3)
        self.assertGreater(c.stats()["queued"], 0)

    def test_flush_returns_within_its_timeout_when_nothing_listens(self) -> None:
        c = agentops.Client(api_key="k", base_url=closed_port_url(), agent="bot", flush_on_exit=False)
        self.clients.append(c)
        run = c.start_run("r")
        for i in range(100):
            run.log("m%d" % i)
        run.end()
        start = time.monotonic()
        self.assertEqual(c.flush(1.0).unsent, 102)
        self.assertLess(time.monotonic() - start, 1.3)
        self.assertGreater(c.stats()["retries"], 0)

    def test_recording_never_throws(self) -> None:
        c = self.client()
        run = c.start_run("r")

        class Weird:
            def __repr__(self) -> str:
                raise RuntimeError("no")

        run.tool_call("t", input={"obj": object(), "set": {1}}, output=Weird.__name__)
        run.log(Weird.__name__)
        self.assertEqual(c.flush(5).unsent, 0)
        self.assertEqual(len(self.server.events()), 3)

    def test_an_unconfigured_client_is_a_noop_and_strict_raises(self) -> None:
        with mock.patch.dict("os.environ", {}, clear=True):
            c = agentops.Client(flush_on_exit=False)
            self.assertFalse(c.enabled)
            with c.run("r") as run:
                run.log("x")
            self.assertEqual(c.flush(0.1).unsent, 0)
            with self.assertRaises(ConfigurationError):
                agentops.Client(strict=True, flush_on_exit=False)

    def test_env_fallbacks(self) -> None:
        with mock.patch.dict("os.environ", {"AGENTOPS_URL": self.server.url, "AGENTOPS_API_KEY": "aok_env",
                                            "AGENTOPS_AGENT": "env-bot"}):
            c = agentops.Client(flush_on_exit=False)
            self.clients.append(c)
            c.start_run("r")
            c.flush(5)
        self.assertEqual(self.server.events()[0]["agent"], "env-bot")
        self.assertEqual(self.server.ingest_requests()[0].headers["authorization"], "Bearer aok_env")

    def test_a_run_or_span_ended_from_two_threads_sends_one_end(self) -> None:
        from agentops._client import Run, Span

        def slow(slot: Any) -> property:
            # reading `ended` yields to the other thread: the check-then-set race shows up every time
            def get(self: Any) -> bool:
                value = bool(slot.__get__(self))
                time.sleep(0.02)
                return value
            return property(get, lambda self, v: slot.__set__(self, v))

        class SlowRun(Run):
            __slots__ = ()
            ended = slow(Run.ended)

        class SlowSpan(Span):
            __slots__ = ()
            ended = slow(Span.ended)

        c = self.client(flush_interval=30)
        run = SlowRun(c, "r")
        span = SlowSpan(run, None, "s")
        for end in (span.end, run.end):
            threads = [threading.Thread(target=end) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        self.assertEqual(c.flush(5).unsent, 0)
        kinds = [e["type"] for e in self.server.events()]
        self.assertEqual((kinds.count("run.end"), kinds.count("span")), (1, 1))

    # ---- sync mode -----------------------------------------------------------------------------------------

    def test_sync_mode_has_no_thread_and_end_run_sends_before_returning(self) -> None:
        before = {t.name for t in threading.enumerate() if t.name.startswith("agentops")}
        c = self.client(sync=True)
        self.assertIsNone(c._transport._worker)
        run = c.start_run("r")
        run.llm_call("gpt-4o", "openai", 1, 1)
        time.sleep(0.2)
        self.assertEqual(self.server.ingest_requests(), [])
        run.end()
        self.assertEqual(len(self.server.events()), 3)
        self.assertEqual(c.stats()["queued"], 0)
        self.assertEqual({t.name for t in threading.enumerate() if t.name.startswith("agentops")} - before, set())

    # ---- paused agents ---------------------------------------------------------------------------------------

    def _paused_script(self, paused: List[bool]) -> None:
        def script(r: Request) -> Any:
            if r.path.startswith("/api/v1/policy/check"):
                if paused[0]:
                    return 200, {}, {"decision": "block", "reason": "agent_paused", "matched": [], "check_id": "c"}
                return 200, {}, {"decision": "allow", "reason": "no_rule_matched", "matched": [], "check_id": "c"}
            if not paused[0]:
                return 202, {}, {"accepted": len(r.batch)}
            results = [{"index": i, "id": e["id"], "status": "rejected", "code": "agent_paused",
                        "message": "The agent is paused."} for i, e in enumerate(r.batch)]
            return 207, {}, {"accepted": 0, "rejected": len(results), "results": results}
        self.server.script("/api/v1/", script)

    def test_paused_agent_stops_sending_signals_once_and_probes(self) -> None:
        paused = [True]
        self._paused_script(paused)
        calls: List[str] = []
        c = self.client(on_paused=calls.append)
        run = c.start_run("r")
        run.log("refused")
        c.flush(5)
        self.assertTrue(c.is_paused())
        self.assertTrue(c.is_paused("bot"))
        self.assertFalse(c.is_paused("other"))
        self.assertEqual(calls, ["bot"])
        self.assertEqual(c.stats()["rejected_by_code"], {"agent_paused": 2})
        n = len(self.server.ingest_requests())
        for i in range(5):
            run.log("dropped")
        self.assertEqual(c.flush(5).unsent, 0)
        self.assertEqual(len(self.server.ingest_requests()), n)
        self.assertEqual(c.stats()["dropped_paused"], 5)
        with self.assertRaises(AgentPausedError):
            c.check_policy({"type": "x"}, run=run)
        self.assertEqual(calls, ["bot"])
        # the probe: once the interval passed the next batch is sent, and an accepted one clears the state
        paused[0] = False
        with mock.patch.object(_transport, "PAUSED_PROBE_INTERVAL_S", 0.0):
            run.log("probe")
            c.flush(5)
        self.assertFalse(c.is_paused())
        self.assertEqual(len(self.server.ingest_requests()), n + 1)

    def test_a_policy_check_that_is_not_paused_clears_the_state(self) -> None:
        paused = [True]
        self._paused_script(paused)
        c = self.client()
        run = c.start_run("r")
        c.flush(5)
        self.assertTrue(c.is_paused())
        paused[0] = False
        self.assertEqual(c.check_policy({"type": "x"}, run=run).decision, "allow")
        self.assertFalse(c.is_paused())

    def test_strict_mode_never_raises_from_ending_a_run_or_a_span(self) -> None:
        self._paused_script([True])
        c = self.client(strict=True)
        run = c.start_run("r")
        c.flush(5)
        self.assertTrue(c.is_paused())
        with self.assertRaises(KeyError):  # the body's own exception, not the paused signal
            with run.span("lookup"):
                raise KeyError("k")
        run.end()
        self.assertEqual(run.status, "succeeded")
        with self.assertRaises(AgentPausedError):  # recording still raises
            run.log("x")

    def test_strict_mode_raises_from_record_calls_while_paused(self) -> None:
        self._paused_script([True])
        c = self.client(strict=True)
        run = c.start_run("r")
        c.flush(5)
        with self.assertRaises(AgentPausedError):
            run.log("x")
        c2 = self.client()
        c2._mark_paused("bot")
        c2.start_run("r").log("no raise")  # the default never throws


class ControlTests(unittest.TestCase):
    def setUp(self) -> None:
        self.server = FakeServer()
        self.c = make(self.server)

    def tearDown(self) -> None:
        self.c.close(0.2)
        self.server.close()

    def test_check_policy_sends_run_agent_action_step_context(self) -> None:
        self.server.script("/api/v1/policy/check", lambda r: (200, {}, {
            "decision": "require_approval", "reason": "rule_matched", "policy": {"id": "p", "name": "n", "version": 2},
            "matched": ["p"], "approval": {"id": "ap1", "status": "pending", "expires_at": "x",
                                          "wait_url": "/api/v1/approvals/ap1/wait"}, "check_id": "ck"}))
        with self.c.run("r") as run:
            d = agentops.check_policy({"type": "refund", "amount": 5}, step="refund-1", context={"c": 1})
        body = self.server.requests[-1].json
        self.assertEqual(body, {"run_id": run.id, "agent": "bot", "action": {"type": "refund", "amount": 5},
                                "context": {"c": 1}, "step": "refund-1"})
        self.assertTrue(d.requires_approval)
        self.assertEqual((d.reason, d.policy["version"], d.matched, d.approval.id, d.check_id),  # type: ignore
                         ("rule_matched", 2, ["p"], "ap1", "ck"))

    def test_check_policy_falls_back_when_unreachable(self) -> None:
        c = agentops.Client(api_key="k", base_url=closed_port_url(), agent="bot", flush_on_exit=False)
        d = c.check_policy({"type": "x"})
        self.assertEqual((d.decision, d.reason, d.from_server, d.problem_code), ("block", "check_failed", False, None))
        c2 = agentops.Client(api_key="k", base_url=closed_port_url(), agent="bot", flush_on_exit=False,
                             policy_fallback="allow")
        self.assertEqual(c2.check_policy({"type": "x"}).decision, "allow")
        c3 = agentops.Client(api_key="k", base_url=closed_port_url(), agent="bot", flush_on_exit=False,
                             strict=True)
        with self.assertRaises(agentops.AgentOpsError):
            c3.check_policy({"type": "x"})
        for x in (c, c2, c3):
            x.close(0.1)

    def test_check_policy_error_answers_fall_back_with_their_code_and_old_servers_lose_the_step(self) -> None:
        self.server.script("/api/v1/policy/check", lambda r: (503, {}, {"code": "unavailable"}))
        d = self.c.check_policy({"type": "x"})
        self.assertEqual((d.decision, d.reason, d.from_server, d.problem_code),
                         ("block", "check_failed", False, "unavailable"))
        self.server.scripts.clear()
        self.server.script("/api/v1/policy/check", lambda r: (400, {}, {"code": "unknown_field"}) if "step" in r.json
                           else (200, {}, {"decision": "allow", "reason": "no_rule_matched", "matched": []}))
        d = self.c.check_policy({"type": "x"}, step="s1")
        self.assertEqual((d.decision, d.from_server), ("allow", True))
        self.assertNotIn("step", self.server.requests[-1].json)
        c = agentops.Client(api_key=None, base_url=None, agent="bot", flush_on_exit=False)
        if c.base_url is None or c.api_key is None:
            d = c.check_policy({"type": "x"})
            self.assertEqual((d.decision, d.reason, d.from_server), ("block", "not_configured", False))

    def test_wait_for_approval_long_polls_until_decided(self) -> None:
        answers = iter(["pending", "pending", "approved"])
        self.server.script("/api/v1/approvals/", lambda r: (200, {}, {"id": "ap1", "status": next(answers)}))
        self.assertEqual(self.c.wait_for_approval("ap1", timeout=30), "approved")
        paths = [r.path for r in self.server.requests]
        self.assertEqual(paths[0], "/api/v1/approvals/ap1/wait?timeout_s=30")
        self.assertTrue(paths[1].startswith("/api/v1/approvals/ap1/wait?timeout_s="))
        self.assertLessEqual(int(paths[1].split("=")[1]), 30)

    def test_wait_for_approval_never_asks_more_than_60s_and_times_out_pending(self) -> None:
        self.server.script("/api/v1/approvals/", lambda r: (200, {}, {"id": "ap1", "status": "pending"}))
        self.assertEqual(self.c.wait_for_approval("ap1", timeout=1.5), "pending")
        self.assertEqual(self.server.requests[0].path, "/api/v1/approvals/ap1/wait?timeout_s=1")
        self.server.requests.clear()

        def slow(r: Request) -> Any:
            return None  # a long poll that does not answer within the caller's time
        self.server.scripts.insert(0, ("/api/v1/approvals/ap2", slow))
        start = time.monotonic()
        with self.assertRaises(agentops.WaitCancelledError):
            self.c.wait_for_approval("ap2", timeout=200, cancel=_set_after(0.3))
        self.assertLess(time.monotonic() - start, 1.0)
        self.assertEqual(self.server.requests[0].path, "/api/v1/approvals/ap2/wait?timeout_s=60")

    def test_a_poll_answered_at_once_waits_out_a_minimum_interval_and_cancel_still_stops_it(self) -> None:
        n = [0]

        def answer(r: Request) -> Any:
            n[0] += 1
            return (200, {}, {"id": "ap1", "status": "pending"}) if n[0] % 2 else (200, {}, b"")
        self.server.script("/api/v1/approvals/", answer)
        start = time.monotonic()
        self.assertEqual(self.c.wait_for_approval("ap1", timeout=2.5), "pending")
        self.assertLess(time.monotonic() - start, 3.5)
        self.assertLessEqual(len(self.server.requests), 4)
        self.server.requests.clear()
        start = time.monotonic()
        with self.assertRaises(agentops.WaitCancelledError):
            self.c.wait_for_approval("ap1", timeout=60, cancel=_set_after(0.3))
        self.assertLess(time.monotonic() - start, 0.8)
        self.assertEqual(len(self.server.requests), 1)

    def test_wait_for_approval_retries_an_answer_cut_short(self) -> None:
        def cut(h: Any) -> None:  # promises 100 bytes, sends 10 and closes: http.client.IncompleteRead
            h.send_response(200)
            h.send_header("Content-Length", "100")
            h.end_headers()
            h.wfile.write(b'{"id":"ap1')
            h.wfile.flush()
            h.close_connection = True
        answers = iter([(200, {}, cut), (200, {}, {"id": "ap1", "status": "approved"})])
        self.server.script("/api/v1/approvals/", lambda r: next(answers))
        self.assertEqual(self.c.wait_for_approval("ap1", timeout=10), "approved")
        self.assertEqual(len(self.server.requests), 2)
        self.server.script("/api/v1/policy/check", lambda r: (200, {}, cut))  # a policy check falls back
        d = self.c.check_policy({"type": "x"})
        self.assertEqual((d.decision, d.reason, d.from_server), ("block", "check_failed", False))

    def test_wait_for_approval_retries_network_errors_and_5xx(self) -> None:
        answers = iter([(503, {}, {"code": "unavailable"}), (200, {}, {"id": "ap1", "status": "expired"})])
        self.server.script("/api/v1/approvals/", lambda r: next(answers))
        self.assertEqual(self.c.wait_for_approval("ap1", timeout=10), "expired")
        self.assertEqual(len(self.server.requests), 2)

    def test_the_kill_switch_is_a_paused_signal(self) -> None:
        self.server.script("/api/v1/policy/check", lambda r: (200, {}, {
            "decision": "block", "reason": "org_killed", "matched": [], "check_id": "c"}))
        with self.assertRaises(AgentPausedError) as ctx:
            self.c.check_policy({"type": "x"})
        self.assertEqual(ctx.exception.reason, "org_killed")
        self.assertTrue(self.c.is_paused())

    def test_a_block_by_policy_is_an_answer_not_an_error(self) -> None:
        self.server.script("/api/v1/policy/check", lambda r: (200, {}, {
            "decision": "block", "reason": "rule_matched", "matched": ["p"], "check_id": "c"}))
        d = self.c.check_policy({"type": "x"})
        self.assertTrue(d.blocked)
        self.assertEqual(d.wait_for_approval(1), "rejected")
        self.assertFalse(self.c.is_paused())

    def test_decision_wait_for_approval_and_async_variants(self) -> None:
        import asyncio
        self.server.script("/api/v1/policy/check", lambda r: (200, {}, {
            "decision": "require_approval", "reason": "rule_matched", "matched": [],
            "approval": {"id": "ap9", "status": "pending"}, "check_id": "c"}))
        self.server.script("/api/v1/approvals/", lambda r: (200, {}, {"id": "ap9", "status": "rejected"}))

        async def main() -> Any:
            with self.c.run("r"):
                d = await self.c.acheck_policy({"type": "x"})
                return d, await self.c.await_approval(d.approval.id, 5)  # type: ignore[union-attr]
        d, status = asyncio.run(main())
        self.assertEqual(status, "rejected")
        self.assertEqual(d.wait_for_approval(5), "rejected")
        self.assertEqual(d.approval.status, "rejected")  # type: ignore[union-attr]
        allow = agentops.PolicyDecision({"decision": "allow"}, self.c)
        self.assertEqual(allow.wait_for_approval(1), "approved")


def _set_after(seconds: float) -> threading.Event:
    ev = threading.Event()
    threading.Timer(seconds, ev.set).start()
    return ev


class EncodingTests(unittest.TestCase):
    def test_iso_and_wire(self) -> None:
        self.assertEqual(_transport.iso(0.0), "1970-01-01T00:00:00.000000Z")
        self.assertEqual(_transport.iso(1.5), "1970-01-01T00:00:01.500000Z")
        raw = {"id": "a", "type": "log", "timestamp": 1.0, "run_id": "r", "agent": "b", "name": None}
        self.assertEqual(json.loads(_transport.encode(raw)),
                         {"id": "a", "type": "log", "timestamp": "1970-01-01T00:00:01.000000Z", "run_id": "r",
                          "agent": "b"})

    def test_gzip_roundtrip_helper(self) -> None:
        self.assertEqual(gzip.decompress(gzip.compress(b"x")), b"x")


class ProcessExitTests(unittest.TestCase):
    def test_events_are_flushed_at_interpreter_exit(self) -> None:
        import os
        import subprocess
        import sys
        server = FakeServer()
        try:
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            code = ("import agentops\n"
                    "c = agentops.Client(api_key='k', base_url=%r, agent='bot', flush_interval=60)\n"
                    "r = c.start_run('exit'); r.log('bye'); r.end()\n" % server.url)
            subprocess.run([sys.executable, "-c", code], cwd=root, timeout=20, check=True)
            self.assertEqual([e["type"] for e in server.events()], ["run.start", "log", "run.end"])
        finally:
            server.close()

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_a_forked_child_gets_a_worker_of_its_own(self) -> None:
        server = FakeServer()
        try:
            c = make(server, flush_interval=60)
            c.start_run("parent").log("before fork")
            pid = os.fork()
            if pid == 0:  # the child: record and flush through its own worker, then leave at once
                code = 1
                try:
                    c.start_run("child")
                    code = 0 if c.flush(5).unsent == 0 else 2
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.WEXITSTATUS(status), 0)
            self.assertEqual([e.get("name") for e in server.events()], ["child"])
            self.assertEqual(c.flush(5).unsent, 0)
            self.assertEqual([e.get("name") for e in server.events()], ["child", "parent", "before fork"])
            c.close(0.2)
        finally:
            server.close()

    def test_history_appended_after_the_call_is_not_recorded(self) -> None:
        server = FakeServer()
        try:
            c = make(server)
            history = [{"role": "user", "content": "a"}]
            c.start_run("r").llm_call("gpt-4o", "openai", input=history)
            history.append({"role": "assistant", "content": "b"})
            c.flush(5)
            (e,) = [e for e in server.events() if e["type"] == "llm.call"]
            self.assertEqual(len(e["input"]), 1)
            c.close(0.2)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
