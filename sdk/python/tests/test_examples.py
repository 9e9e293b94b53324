"""The examples compile and run end to end against the in-process fakes (no internet, no openai package)."""
import contextlib
import importlib
import io
import logging
import os
import py_compile
import sys
import tempfile
import unittest
from unittest import mock

import agentops

from .fakes import FakeServer, openai_server

EXAMPLES = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
logging.getLogger("agentops").setLevel(logging.CRITICAL)


class ExampleTests(unittest.TestCase):
    def setUp(self) -> None:
        self.server = FakeServer()
        self.old = agentops._client._global_client
        if EXAMPLES not in sys.path:
            sys.path.insert(0, EXAMPLES)

    def tearDown(self) -> None:
        c = agentops._client._global_client
        if c is not None and c is not self.old:
            c.close(0.2)
        agentops._client._global_client = self.old
        self.server.close()

    def env(self, **extra: str) -> "mock._patch[dict]":
        return mock.patch.dict(os.environ, {"AGENTOPS_URL": self.server.url, "AGENTOPS_API_KEY": "aok_x", **extra})

    def test_every_example_compiles(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            for name in os.listdir(EXAMPLES):
                if name.endswith(".py"):
                    py_compile.compile(os.path.join(EXAMPLES, name), doraise=True,
                                       cfile=os.path.join(tmp, name + "c"))

    def test_agent_loop_checks_the_policy_and_waits_for_the_approval(self) -> None:
        self.server.script("/api/v1/policy/check", lambda r: (200, {}, {
            "decision": "require_approval", "reason": "rule_matched", "matched": ["p"],
            "approval": {"id": "ap1", "status": "pending"}, "check_id": "c"}))
        self.server.script("/api/v1/approvals/ap1/wait", lambda r: (200, {}, {"id": "ap1", "status": "approved"}))
        out = io.StringIO()
        with self.env(), contextlib.redirect_stdout(out):
            importlib.import_module("agent_loop").main([])
        self.assertIn("refunded", out.getvalue())
        check = [r for r in self.server.requests if r.path == "/api/v1/policy/check"][0].json
        self.assertEqual(check["step"], "refund-A-1001")
        types = [e["type"] for e in self.server.events()]
        self.assertEqual(types.count("tool.call"), 2)
        self.assertIn("external.action", types)
        self.assertEqual(types.count("run.end"), 1)

    def test_openai_example_records_model_and_tokens(self) -> None:
        oa = openai_server()
        try:
            out = io.StringIO()
            with self.env(OPENAI_BASE_URL=oa.url + "/v1", OPENAI_API_KEY="sk-x"), contextlib.redirect_stdout(out):
                importlib.import_module("openai_call").main([])
            self.assertIn("streamed: Hello there, friend", out.getvalue())
            calls = [e for e in self.server.events() if e["type"] == "llm.call"]
            self.assertEqual(len(calls), 2)
            for e in calls:
                self.assertEqual((e["model"], e["tokens_in"], e["tokens_out"], e["tokens_cached"]),
                                 ("gpt-4o-mini-2024-07-18", 42, 7, 32))  # the model that answered
                self.assertEqual(e["metadata"]["gen_ai.request.model"], "gpt-4o-mini")
                self.assertEqual(e["metadata"]["gen_ai.response.model"], "gpt-4o-mini-2024-07-18")
        finally:
            oa.close()


if __name__ == "__main__":
    unittest.main()
