"""The Python SDK's benchmark: prints ONE JSON line (see README.md, "Benchmark").

* record_llm_call_p50_us / _p99_us: the caller's cost of ``span.llm_call(...)`` (timed one by one, with the worker
  running and sending), target p99 50 µs.
* events_per_s: events recorded by one process and acknowledged by AGENTOPS_SDK_TEST_URL, per second of wall clock
  from the first record to the flush's return (null without the variable). The organization's ingest rate limit
  (1,000 events/s, burst 5,000 by default) bounds it: the SDK waits out its 429s.
* sdk_ceiling_events_per_s: the same through one process to a local sink that acknowledges everything (a separate
  process): what the SDK itself sustains when the server's rate limit is not the bound.
* server_down_*: ``server_down_rate`` events/s for ``server_down_seconds`` to an address where nothing listens:
  the queue stays at its bound, the rest is dropped and counted, and the process's RSS grows by what the bounded
  queue holds.
* cpu_steal_percent: the share of CPU time the hypervisor gave to other guests during the bench (/proc/stat).
"""
import gc
import json
import os
import socket
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agentops  # noqa: E402

#: The target of the caller's p99 cost of one LLM-call record, in microseconds.
TARGET_P99_US = 50
#: Records timed for the latency figures.
LATENCY_SAMPLES = 100_000
#: Events sent to the server for the throughput figure (quick: fewer).
THROUGHPUT_EVENTS = 20_000
THROUGHPUT_EVENTS_QUICK = 6_000
#: Events sent to a local acknowledging sink for the SDK's own ceiling.
CEILING_EVENTS = 50_000
#: The server-down phase.
SERVER_DOWN_SECONDS = 60
SERVER_DOWN_SECONDS_QUICK = 10
SERVER_DOWN_RATE = 1000


def cpu_times() -> Tuple[int, int]:
    try:
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
        return sum(parts[:8]), parts[7] if len(parts) > 7 else 0
    except (OSError, ValueError):
        return 0, 0


def rss_kb() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def closed_port_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d" % port


def percentile(sorted_values: List[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def record_latency(url: Optional[str], key: Optional[str]) -> Tuple[float, float, float]:
    c = agentops.Client(api_key=key or "none", base_url=url or closed_port_url(), agent="bench-python",
                        max_queue_events=2 * LATENCY_SAMPLES, flush_on_exit=False)
    run = c.start_run("bench latency")
    span = run.span("bench")
    perf = time.perf_counter_ns
    samples: List[float] = []
    gc.collect()
    for i in range(LATENCY_SAMPLES):
        t0 = perf()
        span.llm_call("gpt-4o-mini", "openai", 1200, 300, 200, 850, 120, None, None, None)
        samples.append((perf() - t0) / 1000.0)
    # the same through the ambient context (agentops.llm_call inside the span), the decorator/`with` style
    ambient: List[float] = []
    llm_call = agentops.llm_call
    with agentops.use(span):
        for i in range(LATENCY_SAMPLES // 2):
            t0 = perf()
            llm_call("gpt-4o-mini", "openai", 1200, 300, 200, 850, 120)
            ambient.append((perf() - t0) / 1000.0)
    span.end()
    run.end()
    samples.sort()
    ambient.sort()
    c.close(0.5)
    return percentile(samples, 0.50), percentile(samples, 0.99), percentile(ambient, 0.99)


def throughput(url: str, key: str, n: int) -> Dict[str, Any]:
    c = agentops.Client(api_key=key, base_url=url, agent="bench-python", max_queue_events=n + 100,
                        flush_on_exit=False)
    start = time.monotonic()
    run = c.start_run("bench throughput")
    for i in range(n - 2):
        run.log("event %d" % i)
    run.end()
    result = c.flush(300)
    elapsed = time.monotonic() - start
    st = c.stats()
    c.close(0.5)
    return {"events_per_s": round(st["sent"] / elapsed, 1), "sent": st["sent"], "unsent": result.unsent,
            "retries": st["retries"], "rejected": st["dropped_rejected"], "seconds": round(elapsed, 2)}


def sink_main() -> None:
    """``bench.py --sink``: a minimal ingest that acknowledges every batch (202), in its own process, printing its
    port; it measures the SDK's own ceiling (JSON, gzip, HTTP on one worker thread) without the server's rate limit."""
    import gzip as _gzip
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between

        def log_message(self, *a: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = _gzip.decompress(body)
            n = len(json.loads(body)["batch"])
            out = json.dumps({"accepted": n, "rejected": 0}).encode()
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()


def sdk_ceiling(n: int) -> float:
    import subprocess
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--sink"], stdout=subprocess.PIPE)
    try:
        port = int(proc.stdout.readline())  # type: ignore[union-attr]
        c = agentops.Client(api_key="bench", base_url="http://127.0.0.1:%d" % port, agent="bench-python",
                            max_queue_events=n + 100, flush_on_exit=False)
        start = time.monotonic()
        run = c.start_run("bench ceiling")
        for i in range(n - 2):
            run.llm_call("gpt-4o-mini", "openai", 1200, 300, 200, 850, input="prompt %d" % i, output="answer")
        run.end()
        c.flush(120)
        elapsed = time.monotonic() - start
        sent = c.stats()["sent"]
        c.close(0.5)
        return round(sent / elapsed, 1)
    finally:
        proc.terminate()
        proc.wait(5)


def server_down(seconds: int) -> Dict[str, Any]:
    c = agentops.Client(api_key="none", base_url=closed_port_url(), agent="bench-python", flush_on_exit=False)
    gc.collect()
    rss0 = rss_kb()
    run = c.start_run("bench server down")
    start = time.monotonic()
    sent = 0
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        due = int(elapsed * SERVER_DOWN_RATE)
        while sent < due:
            run.llm_call("gpt-4o-mini", "openai", 1200, 300, 200, 850, input="prompt %d" % sent, output="answer")
            sent += 1
        time.sleep(0.001)
    gc.collect()
    st = c.stats()
    rss1 = rss_kb()
    c.close(0.1)
    return {"server_down_queue_events": st["queued"], "server_down_dropped": st["dropped_queue_full"],
            "server_down_recorded": sent, "server_down_rss_mb": round((rss1 - rss0) / 1024.0, 1),
            "max_queue_events": c.max_queue_events}


def main() -> None:
    quick = "--quick" in sys.argv
    url = os.environ.get("AGENTOPS_SDK_TEST_URL")
    key = os.environ.get("AGENTOPS_SDK_TEST_API_KEY")
    total0, steal0 = cpu_times()
    # the server-down phase first: its RSS growth is measured in a process that has not yet allocated (and kept)
    # the memory of the other phases
    seconds = SERVER_DOWN_SECONDS_QUICK if quick else SERVER_DOWN_SECONDS
    down = server_down(seconds)
    p50, p99, ambient_p99 = record_latency(url if key else None, key)
    out: Dict[str, Any] = {
        "language": "python",
        "record_llm_call_p50_us": round(p50, 2),
        "record_llm_call_p99_us": round(p99, 2),
        "target_p99_us": TARGET_P99_US,
        "ratio_to_target": round(p99 / TARGET_P99_US, 3),
        "record_llm_call_ambient_p99_us": round(ambient_p99, 2),
    }
    if url and key:
        tp = throughput(url, key, THROUGHPUT_EVENTS_QUICK if quick else THROUGHPUT_EVENTS)
        out["events_per_s"] = tp["events_per_s"]
        out["throughput_events"] = tp["sent"]
        out["throughput_retries"] = tp["retries"]
        out["throughput_unsent"] = tp["unsent"]
        out["throughput_rejected"] = tp["rejected"]
    else:
        out["events_per_s"] = None
    out["sdk_ceiling_events_per_s"] = sdk_ceiling(CEILING_EVENTS)
    out["server_down_seconds"] = seconds
    out["server_down_rate"] = SERVER_DOWN_RATE
    out.update(down)
    total1, steal1 = cpu_times()
    out["cpu_steal_percent"] = round(100.0 * (steal1 - steal0) / (total1 - total0), 2) if total1 > total0 else None
    out["python"] = "%d.%d.%d" % sys.version_info[:3]
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    import logging
    logging.getLogger("agentops").setLevel(logging.CRITICAL)
    if "--sink" in sys.argv:
        sink_main()
    else:
        main()
