"""The current run and span: nesting, asyncio tasks, threads, decorators on every kind of function."""
import asyncio
import logging
import threading
import unittest
from typing import Any, Dict, Iterator, List

import agentops
from agentops._context import _current

from .test_conformance import closed_port_url

logging.getLogger("agentops").setLevel(logging.CRITICAL)


class Capture:
    """An exporter that keeps what the client sends (the client's native ingest is off)."""

    def __init__(self) -> None:
        self.events: List[Dict[str, Any]] = []

    def export(self, events: List[Dict[str, Any]], timeout: float) -> bool:
        self.events.extend(events)
        return True


def captured(client: agentops.Client) -> List[Dict[str, Any]]:
    """Everything the client recorded so far."""
    client.flush(5)
    return [{k: v for k, v in e.items() if v is not None} for e in client._transport.exporters[0].events]


class ContextTests(unittest.TestCase):
    def setUp(self) -> None:
        self.c = agentops.Client(api_key="k", base_url=closed_port_url(), agent="bot", sync=True,
                                 flush_on_exit=False, native_ingest=False, exporters=[Capture()])
        self.old = agentops._client._global_client
        agentops._client._global_client = self.c

    def tearDown(self) -> None:
        agentops._client._global_client = self.old

    def by_name(self) -> Dict[str, Dict[str, Any]]:
        return {e.get("name"): e for e in captured(self.c)}

    def test_nested_spans_parent_ids(self) -> None:
        with self.c.run("r") as run:
            self.assertIs(agentops.current_run(), run)
            self.assertIsNone(agentops.current_span())
            agentops.log("top")
            with agentops.span("a") as a:
                self.assertIs(agentops.current_span(), a)
                agentops.log("in-a")
                with agentops.span("b") as b:
                    agentops.log("in-b")
                agentops.log("in-a-again")
            agentops.tool_call("t")
        self.assertIsNone(agentops.current_scope())
        ev = self.by_name()
        self.assertNotIn("parent_id", ev["top"])
        self.assertNotIn("parent_id", ev["a"])
        self.assertEqual(ev["in-a"]["parent_id"], a.id)
        self.assertEqual(ev["b"]["parent_id"], a.id)
        self.assertEqual(ev["in-b"]["parent_id"], b.id)
        self.assertEqual(ev["in-a-again"]["parent_id"], a.id)
        self.assertNotIn("parent_id", ev["t"] if "t" in ev else {"x": 1})
        self.assertEqual(ev["b"]["type"], "span")
        self.assertLessEqual(ev["b"]["timestamp"], ev["b"]["ended_at"])
        self.assertEqual(run.status, "succeeded")

    def test_run_fails_when_an_exception_escapes(self) -> None:
        with self.assertRaises(ValueError):
            with self.c.run("r") as run:
                with agentops.span("s"):
                    raise ValueError("boom")
        end = [e for e in captured(self.c) if e["type"] == "run.end"][0]
        self.assertEqual(end["status"], "failed")
        self.assertIn("ValueError: boom", end["error"])
        span = [e for e in captured(self.c) if e["type"] == "span"][0]
        self.assertEqual(span["status"], "error")
        self.assertEqual(run.status, "failed")
        self.assertIsNone(_current.get())

    def test_asyncio_tasks_inherit_and_isolate(self) -> None:
        async def task(k: int) -> None:
            with agentops.span("task-%d" % k):
                for i in range(3):
                    await asyncio.sleep(0.001)
                    agentops.log("t%d-%d" % (k, i))

        async def main() -> None:
            with self.c.run("r"):
                await asyncio.gather(*(task(k) for k in range(8)))
        asyncio.run(main())
        self.assert_tasks_consistent(8, 3)

    def assert_tasks_consistent(self, tasks: int, per: int) -> None:
        ev = captured(self.c)
        spans = {e["id"]: e["name"] for e in ev if e["type"] == "span"}
        logs = [e for e in ev if e["type"] == "log"]
        self.assertEqual(len(logs), tasks * per)
        for e in logs:
            k = e["name"].split("-")[0][1:]
            self.assertEqual(spans[e["parent_id"]], "task-%s" % k)

    def test_threads_through_wrap_and_the_executor(self) -> None:
        def task(k: int) -> None:
            with agentops.span("task-%d" % k):
                for i in range(50):
                    agentops.log("t%d-%d" % (k, i))

        with self.c.run("r"):
            threads = [threading.Thread(target=agentops.wrap(task), args=(k,)) for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            with agentops.ContextThreadPoolExecutor(4) as pool:
                list(pool.map(lambda k: task(k), []))  # map is not context-aware: submit is
                futures = [pool.submit(task, k) for k in range(4, 8)]
            for f in futures:
                f.result()
        self.assert_tasks_consistent(8, 50)

    def test_one_wrapped_function_on_many_threads(self) -> None:
        with self.c.run("r"):
            with agentops.span("parent") as parent:
                fn = agentops.wrap(lambda i: agentops.log("x%d" % i))
        threads = [threading.Thread(target=fn, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        logs = [e for e in captured(self.c) if e["type"] == "log"]
        self.assertEqual(len(logs), 8)
        self.assertTrue(all(e["parent_id"] == parent.id for e in logs))

    def test_one_handle_entered_on_many_threads_at_once(self) -> None:
        handle = agentops.span("shared")
        barrier = threading.Barrier(8)

        def work(k: int) -> None:
            with handle as span:
                barrier.wait(5)  # every thread is inside the same handle now
                agentops.log("w%d" % k)
                agentops.log("x%s" % span.id)

        with self.c.run("r"):
            threads = [threading.Thread(target=agentops.wrap(work), args=(k,)) for k in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        ev = captured(self.c)
        spans = [e for e in ev if e["type"] == "span"]
        self.assertEqual(len(spans), 8)
        for e in ev:
            if e["type"] == "log" and e["name"].startswith("x"):
                self.assertEqual(e["parent_id"], e["name"][1:])

    def test_decorators_sync_async_generator_asyncgen(self) -> None:
        @agentops.span()
        def step(x: int) -> int:
            agentops.log("in-step")
            return x + 1

        @agentops.span("async-step")
        async def astep() -> str:
            await asyncio.sleep(0)
            agentops.log("in-astep")
            return "ok"

        @agentops.span("gen")
        def gen(n: int) -> Iterator[int]:
            for i in range(n):
                agentops.log("in-gen-%d" % i)
                yield i

        @agentops.span("agen")
        async def agen(n: int) -> Any:
            for i in range(n):
                await asyncio.sleep(0)
                agentops.log("in-agen-%d" % i)
                yield i

        @agentops.run("decorated run")
        def job() -> int:
            self.assertEqual(step(1), 2)
            agentops.log("between")  # the generator's span is not current between its items
            self.assertEqual(list(gen(2)), [0, 1])
            return 7

        self.assertEqual(job(), 7)

        async def amain() -> None:
            with self.c.run("async run"):
                self.assertEqual(await astep(), "ok")
                got = [i async for i in agen(2)]
                self.assertEqual(got, [0, 1])
                agentops.log("after-agen")
        asyncio.run(amain())

        ev = captured(self.c)
        spans = {e["id"]: e for e in ev if e["type"] == "span"}
        names = {e.get("name"): e for e in ev}
        self.assertEqual(names["decorated run"]["type"], "run.start")
        self.assertIn("step", spans[names["in-step"]["parent_id"]]["name"])
        self.assertEqual(spans[names["in-gen-0"]["parent_id"]]["name"], "gen")
        self.assertEqual(spans[names["in-gen-1"]["parent_id"]]["name"], "gen")
        self.assertNotIn("parent_id", names["between"])
        self.assertEqual(spans[names["in-astep"]["parent_id"]]["name"], "async-step")
        self.assertEqual(spans[names["in-agen-1"]["parent_id"]]["name"], "agen")
        self.assertNotIn("parent_id", names["after-agen"])
        runs = [e for e in ev if e["type"] == "run.end"]
        self.assertEqual([r["status"] for r in runs], ["succeeded", "succeeded"])

    def test_generator_stopped_early_ends_its_span(self) -> None:
        @agentops.span("gen")
        def gen() -> Iterator[int]:
            i = 0
            while True:
                yield i
                i += 1

        with self.c.run("r"):
            g = gen()
            self.assertEqual(next(g), 0)
            self.assertEqual(next(g), 1)
            g.close()
            agentops.log("after")
        ev = captured(self.c)
        self.assertEqual(len([e for e in ev if e["type"] == "span"]), 1)
        self.assertNotIn("parent_id", [e for e in ev if e.get("name") == "after"][0])

    def test_generator_exception_fails_its_span(self) -> None:
        @agentops.span("gen")
        def gen() -> Iterator[int]:
            yield 1
            raise KeyError("k")

        with self.c.run("r"):
            with self.assertRaises(KeyError):
                list(gen())
        span = [e for e in captured(self.c) if e["type"] == "span"][0]
        self.assertEqual(span["status"], "error")

    def test_async_run_decorator_and_failure(self) -> None:
        @agentops.run("arun")
        async def job() -> None:
            agentops.log("inside")
            raise RuntimeError("x")

        with self.assertRaises(RuntimeError):
            asyncio.run(job())
        ev = captured(self.c)
        self.assertEqual([e["status"] for e in ev if e["type"] == "run.end"], ["failed"])
        inside = [e for e in ev if e.get("name") == "inside"][0]
        start = [e for e in ev if e["type"] == "run.start"][0]
        self.assertEqual(inside["run_id"], start["run_id"])

    def test_outside_a_run_nothing_is_recorded_and_nothing_raises(self) -> None:
        self.assertIsNone(agentops.log("x"))
        with agentops.span("s") as s:
            s.log("y")
        self.assertEqual(captured(self.c), [])

    def test_use_makes_a_run_current_without_ending_it(self) -> None:
        run = self.c.start_run("r")
        with agentops.use(run):
            agentops.log("in")
        self.assertFalse(run.ended)
        self.assertIsNone(agentops.current_run())
        run.end("cancelled")
        self.assertEqual([e["status"] for e in captured(self.c) if e["type"] == "run.end"], ["cancelled"])


if __name__ == "__main__":
    unittest.main()
