"""An OpenAI chat completion recorded by AgentOps: model, tokens (cached included), latency, time to first token;
the server prices the call from its price list (the run's cost_usd), or pass your own cost with llm_call(cost_usd=).

Works with the official ``openai`` package (``pip install openai``) or, without it, with the tiny urllib client in
mini_openai.py; both can point at any OpenAI-compatible base URL:

    OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-... \\
    AGENTOPS_URL=http://127.0.0.1:7480 AGENTOPS_API_KEY=aok_... python3 examples/openai_call.py
"""
import json
import os
import sys
import urllib.request
from typing import Any, List, Optional

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
import agentops  # noqa: E402


def make_openai_client(base_url: str, api_key: str) -> Any:
    try:
        import openai  # type: ignore[import-not-found]
        return openai.OpenAI(base_url=base_url, api_key=api_key)
    except ImportError:
        from mini_openai import MiniOpenAI
        return MiniOpenAI(base_url, api_key)


def main(argv: Optional[List[str]] = None) -> int:
    ao = agentops.init(agent=os.environ.get("AGENTOPS_AGENT", "openai-example"))
    client = agentops.wrap_openai(make_openai_client(
        os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1"), os.environ.get("OPENAI_API_KEY", "none")))
    model = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")
    with agentops.run("summarize", input="release notes") as run:
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Summarize: the SDK never hurts the agent."}])
        print("answer:", reply.choices[0].message.content)
        stream = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Say hello, slowly."}], stream=True,
            stream_options={"include_usage": True})  # the usage arrives in the last chunk
        print("streamed:", "".join(c.choices[0].delta.content or "" for c in stream if c.choices))
    print("unsent:", agentops.flush(5).unsent)
    if ao.base_url and ao.api_key and os.environ.get("AGENTOPS_EXAMPLE_READ_BACK"):
        req = urllib.request.Request("%s/api/v1/runs/%s" % (ao.base_url, run.id),
                                     headers={"Authorization": "Bearer " + ao.api_key})
        with urllib.request.urlopen(req, timeout=10) as resp:
            stored = json.loads(resp.read())["run"]
        print("run cost_usd:", stored.get("cost_usd"), "tokens_in:", stored.get("tokens_in"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
