"""A remote chat model as a candidate source: any OpenAI-compatible ``/v1/chat/completions`` endpoint.

llama-cpp-python's ``llama_cpp.server``, vLLM, Ollama and LM Studio all speak this API, so a GPU box (or a
bigger model on the same machine) can write the LLM engines' candidates instead of the in-process GGUF of
:mod:`optimizer.llm`. ``OpenAIModel`` satisfies ``optimizer.candidates.ChatModel``: the prompt is the one of
:mod:`optimizer.prompt` and the answers are read back with its ``extract_code``.

``n`` candidates are asked for in one request with OpenAI's ``n``; a server that ignores it (llama_cpp.server and
Ollama answer once) is asked for the missing ones by concurrent requests, one seed each, and from then on this
model sends its ``n`` requests at once. The whole call is bounded by the smaller of the endpoint's timeout and
the generator's time budget; answers that arrived by then are kept. An endpoint that is down, slow or answers
garbage raises ``ModelError`` with a one-line message (the generator turns it into a note). The API key is read
from the environment variable the settings name, when the request is made; it is sent only as the
``Authorization: Bearer`` header and never logged, and any echo of it in an error body is masked.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from optimizer.llm import SAMPLING_TEMPERATURE, Generation, GenerationSettings, ModelError, StopReason
from optimizer.prompt import extract_code

if TYPE_CHECKING:
    import urllib.error

_log = logging.getLogger(__name__)
CHAT_PATH = "/chat/completions"
# OpenAI's finish reasons, as the generations' stop reasons (anything else, e.g. "content_filter", is "eos").
_STOPPED: dict[str, StopReason] = {"stop": "eos", "length": "max_tokens"}
_BODY_PREVIEW = 120  # characters of an error body a message quotes


@dataclass(frozen=True)
class EndpointSettings:
    """Where the remote model is and how to ask it.

    ``url``: the server's base URL (``http://gpu-box:8000/v1``; a bare ``http://host:port`` gets ``/v1``; a URL
    ending in ``/chat/completions`` is used as is). ``model``: the name the server serves the model under (vLLM
    and Ollama require it; empty: not sent). ``api_key_env``: the NAME of the environment variable holding the
    key (empty or unset: no key sent). ``extra_body``: further request fields a server understands (vLLM's
    ``top_k``, llama.cpp's ``grammar``), sent as they are.
    """

    url: str
    model: str = ""
    api_key_env: str = ""
    n: int = 4
    temperature: float = 0.7
    timeout_s: float = 60.0
    max_tokens: int = 1024
    extra_body: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"endpoint URL must start with http:// or https://, got {self.url!r}")
        if self.n < 1:
            raise ValueError(f"endpoint n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"endpoint temperature must be >= 0, got {self.temperature}")
        if self.timeout_s <= 0:
            raise ValueError(f"endpoint timeout must be > 0 s, got {self.timeout_s}")
        if self.max_tokens < 1:
            raise ValueError(f"endpoint max_tokens must be >= 1, got {self.max_tokens}")

    @property
    def chat_url(self) -> str:
        url = self.url.rstrip("/")
        if url.endswith(CHAT_PATH):
            return url
        return url + CHAT_PATH if url.endswith("/v1") else url + "/v1" + CHAT_PATH

    def generation(self, base: GenerationSettings) -> GenerationSettings:
        """``base`` (the generator's settings) with this endpoint's n, temperature and answer length; its time
        budget is the smaller of the two."""
        return replace(base, n_candidates=self.n, temperature=self.temperature, max_tokens=self.max_tokens,
                       time_budget_s=min(base.time_budget_s, self.timeout_s))


class OpenAIModel:
    """A ``ChatModel`` answered by an OpenAI-compatible chat-completions endpoint; safe to call from any thread."""

    def __init__(self, settings: EndpointSettings) -> None:
        self.settings = settings
        self._served = ""  # the model name the server reports, once it has answered
        self._n_supported: bool | None = None  # None: not known until a request with n > 1 has been answered

    @property
    def name(self) -> str:
        """Provenance of the candidates: the model the server reports, else the configured name, else the URL."""
        return self._served or self.settings.model or self.settings.chat_url

    def generate(self, messages: Sequence[dict[str, str]], settings: GenerationSettings) -> list[Generation]:
        """``settings.n_candidates`` answers at most within ``settings.time_budget_s``; ModelError when none came."""
        deadline = time.monotonic() + settings.time_budget_s
        n = settings.n_candidates
        temperature = settings.temperature if n == 1 else settings.temperature or SAMPLING_TEMPERATURE
        body = {**self.settings.extra_body, "messages": [dict(m) for m in messages],
                "max_tokens": settings.max_tokens, "temperature": temperature, "top_p": settings.top_p}
        if self.settings.model:
            body["model"] = self.settings.model
        if n == 1 or self._n_supported is not False:
            generations = self._request({**body, "n": n, "seed": settings.seed}, deadline)
            if len(generations) >= n:
                self._n_supported = self._n_supported if n == 1 else True
                return generations[:n]
            self._n_supported = False
            _log.info("%s ignores n: asking for the other answers with concurrent requests", self._where())
            seeds = range(settings.seed + len(generations), settings.seed + n)
        else:
            generations, seeds = [], range(settings.seed, settings.seed + n)
        return generations + self._concurrent(body, list(seeds), deadline, bool(generations))

    def _concurrent(self, body: dict, seeds: list[int], deadline: float, have_some: bool) -> list[Generation]:
        """One request per seed, all at once; the answers that came by the deadline. ModelError when none did
        and ``have_some`` is false."""
        pool = ThreadPoolExecutor(max_workers=len(seeds), thread_name_prefix="openai-model")
        try:
            futures: list[Future[list[Generation]]] = [
                pool.submit(self._request, {**body, "n": 1, "seed": seed}, deadline) for seed in seeds
            ]
            wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        finally:
            # Requests still running end at their own socket timeout (the deadline); nobody waits for them.
            pool.shutdown(wait=False, cancel_futures=True)
        answered: list[Generation] = []
        failure: BaseException | None = None
        for future in futures:
            if not future.done() or future.cancelled():
                continue
            if future.exception() is None:
                answered += future.result()
            else:
                failure = failure or future.exception()
        if answered or have_some:
            return answered
        if isinstance(failure, ModelError):
            raise failure
        raise ModelError(f"{self._where()} did not answer within the time budget")

    def _request(self, body: dict, deadline: float) -> list[Generation]:
        """One POST; the generations of its choices. ModelError (one line, no key) on any failure."""
        # Imported here: the language server imports this module at start-up for EndpointSettings alone.
        import http.client
        import urllib.error
        import urllib.request

        started = time.perf_counter()
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            raise ModelError(f"{self._where()} was not asked: the time budget was spent")
        key = self._api_key()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(self.settings.chat_url, json.dumps(body).encode(), headers, method="POST")
        _log.debug("POST %s n=%s seed=%s", self.settings.chat_url, body.get("n"), body.get("seed"))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = _mask(_error_body(exc), key)
            raise ModelError(f"{self._where()} answered HTTP {exc.code}: {_one_line(detail) or exc.reason}") from None
        except TimeoutError:
            raise ModelError(f"{self._where()} did not answer within {timeout:.0f} s") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, TimeoutError):
                raise ModelError(f"{self._where()} did not answer within {timeout:.0f} s") from None
            raise ModelError(f"{self._where()} is unreachable ({_mask(str(reason), key)})") from None
        except http.client.HTTPException as exc:  # not HTTP at all, or a connection cut mid-answer
            raise ModelError(f"{self._where()} broke the HTTP exchange ({type(exc).__name__})") from None
        return self._generations(raw, time.perf_counter() - started, key)

    def _generations(self, raw: bytes, seconds: float, key: str) -> list[Generation]:
        try:
            answer = json.loads(raw)
            choices = answer["choices"]
            texts = [(c["message"].get("content") or "", c.get("finish_reason")) for c in choices]
            if not all(isinstance(text, str) for text, _ in texts):
                raise TypeError("message content is not text")
        except (ValueError, KeyError, TypeError, AttributeError):
            preview = _one_line(_mask(raw[:_BODY_PREVIEW].decode("utf-8", "replace"), key))
            raise ModelError(f"{self._where()} answered something that is not a chat completion: {preview!r}") from None
        if not texts:
            raise ModelError(f"{self._where()} answered with no choices")
        if isinstance(answer.get("model"), str):
            self._served = answer["model"]
        usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
        tokens = int(usage.get("completion_tokens") or 0) // len(texts)
        return [Generation(text, extract_code(text), tokens, seconds, _STOPPED.get(reason or "", "eos"))
                for text, reason in texts]

    def _api_key(self) -> str:
        return os.environ.get(self.settings.api_key_env, "") if self.settings.api_key_env else ""

    def _where(self) -> str:
        return f"the model endpoint {self.settings.chat_url}"


def add_endpoint_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """``--endpoint URL --endpoint-model M --endpoint-key-env VAR``, the same on every command that takes a model."""
    parser.add_argument("--endpoint", metavar="URL", help=f"an OpenAI-compatible server (e.g. http://gpu-box:8000/v1) "
                        f"{what}")
    parser.add_argument("--endpoint-model", metavar="M", default="", dest="endpoint_model",
                        help="the model name the endpoint serves")
    parser.add_argument("--endpoint-key-env", metavar="VAR", default="", dest="endpoint_key_env",
                        help="the environment variable holding the endpoint's API key (none: no key)")


def _mask(text: str, key: str) -> str:
    """``text`` with any occurrence of the API key replaced: servers may echo a rejected key."""
    return text.replace(key, "***") if key else text


def _error_body(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read(_BODY_PREVIEW * 4).decode("utf-8", "replace")
    except (OSError, AttributeError):
        return ""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:_BODY_PREVIEW]
