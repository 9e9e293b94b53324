"""The OTLP/HTTP JSON exporter: the mapping (hex ids, integer enums, GenAI attributes) and a live export to the
server's /api/v1/otlp/v1/traces, read back through the API."""
import json
import logging
import os
import time
import unittest
import urllib.error
import urllib.request
from typing import Any, Dict, List

import agentops
from agentops.otlp import OtlpExporter, STATUS_ERROR, root_span_id, trace_id_of

from .fakes import FakeServer
from .test_conformance import closed_port_url

logging.getLogger("agentops").setLevel(logging.CRITICAL)


def attrs(span: Dict[str, Any]) -> Dict[str, Any]:
    out = {}
    for a in span["attributes"]:
        v = a["value"]
        out[a["key"]] = next(iter(v.values()))
    return out


class OtlpMappingTests(unittest.TestCase):
    def test_a_run_becomes_a_trace(self) -> None:
        srv = FakeServer()
        srv.script("/v1/traces", lambda r: (200, {}, {}))
        try:
            exp = OtlpExporter(srv.url + "/v1/traces", headers={"X-Key": "v"})
            c = agentops.Client(api_key=None, base_url=closed_port_url(), agent="bot", native_ingest=False,
                                exporters=[exp], sync=True, flush_on_exit=False)
            with self.assertRaises(ValueError):
                with c.run("traced") as run:
                    with agentops.span("plan") as plan:
                        agentops.llm_call("gpt-4o", "openai", 10, 4, 2, latency_ms=30, time_to_first_token_ms=9)
                    agentops.tool_call("search", {"q": 1}, {"n": 2}, 5)
                    raise ValueError("bad")
            reqs = [r for r in srv.requests if r.path == "/v1/traces"]
            self.assertEqual(len(reqs), 1)
            self.assertEqual(reqs[0].headers["x-key"], "v")
            body = reqs[0].json
            rs = body["resourceSpans"][0]
            self.assertEqual(attrs(rs["resource"])["service.name"], "bot")
            spans = rs["scopeSpans"][0]["spans"]
            by = {s["name"]: s for s in spans}
            self.assertEqual(set(by), {"traced", "plan", "chat gpt-4o", "execute_tool search"})
            trace = trace_id_of(run.id)
            self.assertEqual(trace, run.id)
            for s in spans:
                self.assertEqual(s["traceId"], trace)
                self.assertRegex(s["spanId"], r"^[0-9a-f]{16}$")
                self.assertIsInstance(s["kind"], int)
                self.assertIsInstance(s["status"]["code"], int)
                self.assertLessEqual(int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"]))
            root = by["traced"]
            self.assertEqual(root["spanId"], root_span_id(run.id))
            self.assertNotIn("parentSpanId", root)
            self.assertEqual(root["status"]["code"], STATUS_ERROR)
            self.assertEqual(by["plan"]["parentSpanId"], root["spanId"])
            self.assertEqual(by["plan"]["spanId"], plan.id[:16])
            llm = by["chat gpt-4o"]
            self.assertEqual(llm["parentSpanId"], plan.id[:16])
            a = attrs(llm)
            self.assertEqual(a["gen_ai.request.model"], "gpt-4o")
            self.assertEqual(a["gen_ai.usage.input_tokens"], "10")
            self.assertEqual(a["gen_ai.usage.cache_read.input_tokens"], "2")
            self.assertEqual(a["gen_ai.agent.name"], "bot")
            self.assertEqual(attrs(by["execute_tool search"])["gen_ai.tool.name"], "search")
            self.assertEqual(exp.exported_spans, 4)
            c.close(0.1)
        finally:
            srv.close()


ENV = ("AGENTOPS_SDK_TEST_URL", "AGENTOPS_SDK_TEST_API_KEY")


class OtlpServerTests(unittest.TestCase):
    def test_spans_arrive_with_gen_ai_attributes(self) -> None:
        missing = [v for v in ENV if not os.environ.get(v)]
        if missing:
            self.skipTest("%s not set" % ", ".join(missing))
        url, key = os.environ["AGENTOPS_SDK_TEST_URL"].rstrip("/"), os.environ["AGENTOPS_SDK_TEST_API_KEY"]
        exp = OtlpExporter(url + "/api/v1/otlp/v1/traces", api_key=key)
        agent = "otlp-python-%s" % os.urandom(4).hex()
        c = agentops.Client(api_key=key, base_url=url, agent=agent, native_ingest=False, exporters=[exp],
                            flush_on_exit=False)
        with c.run("otlp export") as run:
            with agentops.span("draft"):
                agentops.llm_call("gpt-4o-mini", "openai", 1200, 300, 200, latency_ms=850,
                                  time_to_first_token_ms=120)
            agentops.tool_call("search_orders", {"customer": "acme"}, {"orders": 3}, 42)
        self.assertEqual(c.flush(15).unsent, 0)
        self.assertEqual((exp.exported_spans, exp.failed_exports), (4, 0))
        deadline = time.monotonic() + 30
        events: List[Dict[str, Any]] = []
        while time.monotonic() < deadline:
            req = urllib.request.Request(url + "/api/v1/events/" + run.id, headers={"Authorization": "Bearer " + key})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    events = json.loads(resp.read())["items"]
            except urllib.error.HTTPError:
                events = []
            if len(events) >= 6:
                break
            time.sleep(0.5)
        types = sorted(e["type"] for e in events)
        # the root span is a run (run.start, run.end) and an event of its own; "draft" is an external.action
        self.assertEqual(types, ["external.action", "external.action", "llm.call", "run.end", "run.start",
                                 "tool.call"])
        llm = [e for e in events if e["type"] == "llm.call"][0]
        self.assertEqual((llm["model"], llm["provider"], llm["tokens_in"], llm["tokens_out"], llm["tokens_cached"]),
                         ("gpt-4o-mini", "openai", 1200, 300, 200))
        self.assertEqual(llm["duration_ms"], 850)
        self.assertEqual(llm["metadata"].get("gen_ai.operation.name"), "chat")
        # the attributes the server maps onto fields (provider, response model, usage) leave the metadata
        self.assertEqual(llm["metadata"].get("gen_ai.request.model"), "gpt-4o-mini")
        self.assertEqual(llm["metadata"].get("gen_ai.response.time_to_first_chunk"), 0.12)
        draft = [e for e in events if e["name"] == "draft"][0]
        self.assertEqual(llm["parent_id"], draft["id"])
        tool = [e for e in events if e["type"] == "tool.call"][0]
        self.assertEqual(tool["tool_name"], "search_orders")
        c.close(0.5)


if __name__ == "__main__":
    unittest.main()
