"""A tiny OpenAI-compatible client on urllib, shaped like the official ``openai`` package's client
(``client.chat.completions.create(...)``, objects with attributes, ``stream=True`` iterating chunks).

It exists so that the examples and tests run without the ``openai`` package and without the internet; with the real
package installed, use ``openai.OpenAI(base_url=..., api_key=...)`` instead: ``agentops.wrap_openai`` takes either.
"""
import json
import urllib.request
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional


def _obj(v: Any) -> Any:
    if isinstance(v, dict):
        return SimpleNamespace(**{k: _obj(x) for k, x in v.items()})
    if isinstance(v, list):
        return [_obj(x) for x in v]
    return v


class Stream:
    """Server-sent events of a streamed completion, one chunk object per ``data:`` line, until ``[DONE]``."""

    def __init__(self, resp: Any) -> None:
        self._resp = resp

    def __iter__(self) -> Iterator[Any]:
        try:
            for line in self._resp:
                line = line.strip()
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    return
                yield _obj(json.loads(data.decode("utf-8")))
        finally:
            self.close()

    def close(self) -> None:
        self._resp.close()


class _Completions:
    def __init__(self, owner: "MiniOpenAI") -> None:
        self._owner = owner

    def create(self, *, model: str, messages: List[Dict[str, Any]], stream: bool = False,
               stream_options: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Any:
        body: Dict[str, Any] = {"model": model, "messages": messages, **kwargs}
        if stream:
            body["stream"] = True
            if stream_options:
                body["stream_options"] = stream_options
        req = urllib.request.Request(
            self._owner.base_url + "/chat/completions", data=json.dumps(body).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + self._owner.api_key})
        resp = urllib.request.urlopen(req, timeout=self._owner.timeout)
        if stream:
            return Stream(resp)
        with resp:
            return _obj(json.loads(resp.read().decode("utf-8")))


class MiniOpenAI:
    """``MiniOpenAI(base_url="http://host/v1", api_key="...")``: ``.chat.completions.create(...)`` like openai's."""

    def __init__(self, base_url: str, api_key: str = "none", timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.chat = SimpleNamespace(completions=_Completions(self))
