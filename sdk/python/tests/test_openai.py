"""wrap_openai: fake objects shaped like the openai package's, and real HTTP against a fake OpenAI server."""
import asyncio
import logging
import os
import sys
import unittest
from types import SimpleNamespace as NS
from typing import Any, Dict, List

import agentops

from .fakes import openai_server
from .test_conformance import closed_port_url
from .test_context import Capture, captured

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from mini_openai import MiniOpenAI  # noqa: E402

logging.getLogger("agentops").setLevel(logging.CRITICAL)

USAGE = NS(prompt_tokens=100, completion_tokens=20, total_tokens=120, prompt_tokens_details=NS(cached_tokens=60))


def response(model: str = "gpt-4o-2024-08-06") -> Any:
    return NS(id="c1", model=model, usage=USAGE,
              choices=[NS(index=0, message=NS(role="assistant", content="hi!", tool_calls=None))])


def chunks(model: str = "gpt-4o-2024-08-06", n: int = 3, usage: bool = True) -> List[Any]:
    out = [NS(model=model, usage=None, choices=[NS(delta=NS(content="w%d " % i))]) for i in range(n)]
    if usage:
        out.append(NS(model=model, usage=USAGE, choices=[]))
    return out


class FakeCompletions:
    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []

    def create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if kwargs.get("model") == "boom":
            raise RuntimeError("rate limited")
        if kwargs.get("stream"):
            return iter(chunks(usage=bool((kwargs.get("stream_options") or {}).get("include_usage"))))
        return response()


class FakeAsyncCompletions:
    async def create(self, **kwargs: Any) -> Any:
        if kwargs.get("stream"):
            async def gen() -> Any:
                for c in chunks():
                    await asyncio.sleep(0)
                    yield c
            return gen()
        await asyncio.sleep(0)
        return response()


class OpenAIWrapperTests(unittest.TestCase):
    def setUp(self) -> None:
        self.c = agentops.Client(api_key="k", base_url=closed_port_url(), agent="bot", sync=True,
                                 flush_on_exit=False, native_ingest=False, exporters=[Capture()])

    def llm(self) -> List[Dict[str, Any]]:
        return [e for e in captured(self.c) if e["type"] == "llm.call"]

    def test_sync_non_streamed(self) -> None:
        client = agentops.wrap_openai(NS(chat=NS(completions=FakeCompletions())), agentops_client=self.c)
        with self.c.run("r"):
            with agentops.span("answer") as span:
                r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hey"}])
        self.assertEqual(r.choices[0].message.content, "hi!")
        (e,) = self.llm()
        self.assertEqual((e["model"], e["provider"], e["tokens_in"], e["tokens_out"], e["tokens_cached"]),
                         ("gpt-4o", "openai", 100, 20, 60))
        self.assertEqual(e["_response_model"], "gpt-4o-2024-08-06")
        self.assertEqual(e["parent_id"], span.id)
        self.assertEqual(e["input"], [{"role": "user", "content": "hey"}])
        self.assertEqual(e["output"], "hi!")
        self.assertGreaterEqual(e["latency_ms"], 0)

    def test_wrapping_twice_is_harmless(self) -> None:
        fake = NS(chat=NS(completions=FakeCompletions()))
        agentops.wrap_openai(agentops.wrap_openai(fake, agentops_client=self.c), agentops_client=self.c)
        with self.c.run("r"):
            fake.chat.completions.create(model="gpt-4o", messages=[])
        self.assertEqual(len(self.llm()), 1)

    def test_sync_streamed_records_usage_and_time_to_first_token(self) -> None:
        client = agentops.wrap_openai(NS(chat=NS(completions=FakeCompletions())), agentops_client=self.c)
        with self.c.run("r"):
            stream = client.chat.completions.create(model="gpt-4o", messages=[], stream=True,
                                                   stream_options={"include_usage": True})
            texts = [c.choices[0].delta.content for c in stream if c.choices]
        self.assertEqual(texts, ["w0 ", "w1 ", "w2 "])
        (e,) = self.llm()
        self.assertEqual((e["tokens_in"], e["tokens_out"], e["tokens_cached"]), (100, 20, 60))
        self.assertIsNotNone(e["_ttft_ms"])
        self.assertEqual(e["output"], "w0 w1 w2 ")

    def test_a_consumer_that_stops_early_still_records(self) -> None:
        client = agentops.wrap_openai(NS(chat=NS(completions=FakeCompletions())), agentops_client=self.c)
        with self.c.run("r"):
            stream = client.chat.completions.create(model="gpt-4o", messages=[], stream=True)
            for chunk in stream:
                break
            del stream
        (e,) = self.llm()
        self.assertEqual(e["model"], "gpt-4o")
        self.assertEqual(e["output"], "w0 ")

    def test_errors_are_recorded_and_re_raised_unchanged(self) -> None:
        client = agentops.wrap_openai(NS(chat=NS(completions=FakeCompletions())), agentops_client=self.c)
        with self.c.run("r"):
            with self.assertRaises(RuntimeError):
                client.chat.completions.create(model="boom", messages=[])
        (e,) = self.llm()
        self.assertIn("rate limited", e["error"])

    def test_async_client_plain_and_streamed(self) -> None:
        client = agentops.wrap_openai(NS(chat=NS(completions=FakeAsyncCompletions())), agentops_client=self.c)

        async def main() -> List[str]:
            with self.c.run("r"):
                r = await client.chat.completions.create(model="gpt-4o", messages=[])
                self.assertEqual(r.model, "gpt-4o-2024-08-06")
                s = await client.chat.completions.create(model="gpt-4o", messages=[], stream=True)
                return [c.choices[0].delta.content async for c in s if c.choices]
        self.assertEqual(asyncio.run(main()), ["w0 ", "w1 ", "w2 "])
        a, b = self.llm()
        self.assertEqual((a["tokens_in"], b["tokens_in"], b["tokens_cached"]), (100, 100, 60))
        self.assertIsNotNone(b["_ttft_ms"])

    def test_outside_a_run_each_call_gets_its_own_run(self) -> None:
        client = agentops.wrap_openai(NS(chat=NS(completions=FakeCompletions())), agentops_client=self.c)
        client.chat.completions.create(model="gpt-4o", messages=[])
        ev = captured(self.c)
        self.assertEqual([e["type"] for e in ev], ["run.start", "llm.call", "run.end"])


class OpenAIWireTests(unittest.TestCase):
    """Real HTTP: the example's urllib client against an in-process server speaking the OpenAI wire format."""

    def setUp(self) -> None:
        self.srv = openai_server(chunk_delay_s=0.01)
        self.c = agentops.Client(api_key="k", base_url=closed_port_url(), agent="bot", sync=True,
                                 flush_on_exit=False, native_ingest=False, exporters=[Capture()])
        self.oa = agentops.wrap_openai(MiniOpenAI(self.srv.url + "/v1", "sk-test"), agentops_client=self.c)

    def tearDown(self) -> None:
        self.srv.close()

    def test_json_and_sse_with_include_usage(self) -> None:
        with self.c.run("wire"):
            r = self.oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
            self.assertEqual(r.choices[0].message.content, "Hello there, friend")
            stream = self.oa.chat.completions.create(model="gpt-4o-mini", messages=[], stream=True,
                                                    stream_options={"include_usage": True})
            text = "".join(c.choices[0].delta.content for c in stream if c.choices)
            self.assertEqual(text, "Hello there, friend")
        a, b = [e for e in captured(self.c) if e["type"] == "llm.call"]
        for e in (a, b):
            self.assertEqual((e["model"], e["tokens_in"], e["tokens_out"], e["tokens_cached"]),
                             ("gpt-4o-mini", 42, 7, 32))
            self.assertEqual(e["_response_model"], "gpt-4o-mini-2024-07-18")
        self.assertGreaterEqual(b["latency_ms"], 25)
        self.assertGreater(b["_ttft_ms"], 0)
        self.assertLess(b["_ttft_ms"], b["latency_ms"])
        self.assertEqual(b["output"], "Hello there, friend")
        body = [r.json for r in self.srv.requests][1]
        self.assertEqual(body["stream_options"], {"include_usage": True})

    def test_sse_without_usage_records_the_call_without_tokens(self) -> None:
        with self.c.run("wire"):
            list(self.oa.chat.completions.create(model="gpt-4o-mini", messages=[], stream=True))
        (e,) = [e for e in captured(self.c) if e["type"] == "llm.call"]
        self.assertNotIn("tokens_in", e)
        self.assertEqual(e["model"], "gpt-4o-mini")


if __name__ == "__main__":
    unittest.main()
