"""``python -m training dataset``: chat-format SFT examples from (slow, fast) pairs, with leave-one-out retrieval.

Every example is ``{"id", "group", "messages": [system, user, assistant]}``: the user turn is
:func:`optimizer.prompt.build_messages` of the slow code and up to ``--suggestions`` knowledge-base hits,
the assistant turn is :func:`~optimizer.prompt.build_answer` of the fast code, so the model is trained on
exactly the prompt the optimizer sends. Retrieval for a pair never returns the pair's own entry nor any entry of
the same problem (``group``): the suggestions must not leak the answer.

Sources (any mix, each flag repeatable): PIE-style pair JSONL (``problem_id``, ``input``, ``target``), the
project's KB catalogue, SFT JSONL already in this format (e.g. Code-Optimise's MBPP pairs from ``merge``; kept as
they are), and FasterPy's message-format JSONL (its code is taken out of the user and assistant turns and the
prompt rebuilt in ours).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench.core.jsonl import read_jsonl as read_lines
from training.errors import TrainingError

OnBad = Literal["skip", "fail"]
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Pair:
    """One (slow, fast) program pair; ``group`` is its problem, the unit of leave-one-out and of splits."""

    id: str
    group: str
    slow: str
    fast: str


@dataclass
class DatasetOptions:
    """What ``dataset`` reads and how it retrieves."""

    pairs: list[Path] = field(default_factory=list)
    catalogue: bool = False
    sft: list[Path] = field(default_factory=list)
    fasterpy: list[Path] = field(default_factory=list)
    out: Path = Path("reports/training/sft.jsonl")
    kb: Path | None = None
    retrieval: bool = True
    suggestions: int = 2
    on_bad: OnBad = "skip"


# --- reading -------------------------------------------------------------------------------------------------------


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def read_jsonl(path: Path, on_bad: OnBad = "skip") -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-empty line; a malformed line is skipped with a warning or fails."""
    try:
        yield from read_lines(path, lambda line: bad(path, line.line, line.reason, on_bad))
    except OSError as exc:
        raise TrainingError(f"cannot read {path}: {exc.strerror or exc}") from exc


def bad(path: Path, number: int, reason: str, on_bad: OnBad) -> None:
    """Report a bad row: a warning when skipping, a TrainingError when failing."""
    message = f"{path}:{number}: {reason}"
    if on_bad == "fail":
        raise TrainingError(f"{message} (use --on-bad skip to leave such rows out)")
    warn(f"{message}; skipped")


def message_problem(messages: Any, want_assistant: bool) -> str | None:
    """Why ``messages`` is not a usable chat (None when it is): role/content dicts, user turn, assistant last."""
    if not isinstance(messages, list) or not messages:
        return "no messages"
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return "a message without a system/user/assistant role"
        if not isinstance(message.get("content"), str):
            return "a message without text content"
    roles = [m["role"] for m in messages]
    if "user" not in roles:
        return "no user turn"
    if want_assistant and roles[-1] != "assistant":
        return "no assistant turn at the end"
    if not want_assistant and roles[-1] == "assistant":
        return "ends with an assistant turn (a prompt must end with the user turn)"
    return None


def read_sft_rows(path: Path, on_bad: OnBad = "skip") -> list[dict[str, Any]]:
    """The SFT rows of ``path`` (``{"id", "group", "messages"}`` ending with the assistant turn), checked."""
    rows = []
    for number, row in read_jsonl(path, on_bad):
        problem = message_problem(row.get("messages"), want_assistant=True)
        if problem is not None:
            bad(path, number, problem, on_bad)
            continue
        row_id = str(row.get("id", f"{path.stem}-{number}"))
        rows.append({"id": row_id, "group": str(row.get("group", row_id)), "messages": row["messages"]})
    return rows


def pie_pairs(path: Path, on_bad: OnBad = "skip") -> Iterator[Pair]:
    """Pairs of a PIE-style JSONL (``problem_id``, ``input`` slow, ``target`` fast); ids ``pie-<problem>-<n>``."""
    seen: dict[str, int] = {}
    for number, row in read_jsonl(path, on_bad):
        problem, slow, fast = row.get("problem_id"), row.get("input"), row.get("target")
        if not (isinstance(problem, str) and isinstance(slow, str) and isinstance(fast, str)):
            bad(path, number, "needs string problem_id, input and target", on_bad)
            continue
        if not slow.strip() or not fast.strip():
            bad(path, number, "empty input or target code", on_bad)
            continue
        seen[problem] = seen.get(problem, 0) + 1
        yield Pair(f"pie-{problem}-{seen[problem]}", problem, slow, fast)


def catalogue_pairs() -> Iterator[Pair]:
    """The KB catalogue's patterns as pairs; id and group are the entry id (``cat-<slug>``), as in the KB."""
    from kb.catalogue import load_catalogue

    for entry in load_catalogue():
        yield Pair(entry.id, entry.id, entry.slow, entry.fast)


def fasterpy_pairs(path: Path, on_bad: OnBad = "skip") -> Iterator[Pair]:
    """Pairs from FasterPy's message-format JSONL: the code of its user turn (slow) and assistant turn (fast)."""
    from optimizer.prompt import extract_code

    for number, row in read_jsonl(path, on_bad):
        messages = row.get("messages")
        problem = message_problem(messages, want_assistant=True)
        if problem is not None:
            bad(path, number, problem, on_bad)
            continue
        user = next(m["content"] for m in messages if m["role"] == "user")
        slow, fast = extract_code(user), extract_code(messages[-1]["content"])
        if slow is None or fast is None:
            bad(path, number, f"no code block in the {'user' if slow is None else 'assistant'} turn", on_bad)
            continue
        row_id = str(row.get("id", f"{path.stem}-{number}"))
        yield Pair(row_id, str(row.get("problem_id", row.get("group", row_id))), slow, fast)


# --- building ------------------------------------------------------------------------------------------------------


def example(pair: Pair, suggestions: Iterable[Any] = (), max_suggestions: int = 2) -> dict[str, Any]:
    """The SFT row for ``pair``: the optimizer's prompt for the slow code, the fast code as the answer.

    ``suggestions`` should hold no empty texts (build_messages would skip them, and the recorded ids would not
    match what the prompt shows); knowledge-base hits always have text.
    """
    from optimizer.prompt import build_answer, build_messages

    messages = list(build_messages(pair.slow, list(suggestions), max_suggestions))
    messages.append({"role": "assistant", "content": build_answer(pair.fast)})
    # Which entries were suggested (provenance; readers of the format only need id, group and messages).
    used = [getattr(hit, "entry_id", "") for hit in list(suggestions)[:max_suggestions]]
    return {"id": pair.id, "group": pair.group, "messages": messages, "suggestions": used}


def leave_one_out_policy(pair: Pair) -> Any:
    """FasterPy's retrieval policy, minus the pair's own entry and every entry of its problem."""
    from kb.query import RetrievalPolicy

    return RetrievalPolicy(exclude_ids=frozenset({pair.id}), exclude_problem_ids=frozenset({pair.group}))


def retrieve(pairs: list[Pair], kb: Any, k: int, batch: int = 64) -> list[list[Any]]:
    """Leave-one-out suggestions for each pair, the slow programs embedded in batches."""
    from tqdm import tqdm

    hits: list[list[Any]] = []
    with tqdm(total=len(pairs), desc="retrieval", unit="pair", file=sys.stderr) as progress:
        for start in range(0, len(pairs), batch):
            chunk = pairs[start : start + batch]
            vectors = kb.embed([p.slow if p.slow.strip() else " " for p in chunk])
            for pair, vector in zip(chunk, vectors, strict=True):
                hits.append(kb.query_vector(vector, k, leave_one_out_policy(pair)))
            progress.update(len(chunk))
    return hits


def open_kb(path: Path | None) -> Any:
    """The knowledge base at ``path``, or the project's default catalogue KB."""
    from kb.errors import KBError
    from kb.query import KnowledgeBase

    try:
        return KnowledgeBase.open(path)
    except KBError as exc:
        raise TrainingError(f"cannot open the knowledge base: {exc}") from exc


def build_dataset(options: DatasetOptions, kb: Any = None) -> dict[str, Any]:
    """Write the dataset to ``options.out``; returns counts per source. ``kb`` overrides ``options.kb``."""
    pairs: list[Pair] = []
    counts: dict[str, int] = {}
    for path in options.pairs:
        found = list(pie_pairs(path, options.on_bad))
        counts[f"pairs:{path.name}"] = len(found)
        pairs += found
    if options.catalogue:
        found = list(catalogue_pairs())
        counts["catalogue"] = len(found)
        pairs += found
    for path in options.fasterpy:
        found = list(fasterpy_pairs(path, options.on_bad))
        counts[f"fasterpy:{path.name}"] = len(found)
        pairs += found
    passthrough: list[dict[str, Any]] = []
    for path in options.sft:
        rows = read_sft_rows(path, options.on_bad)
        counts[f"sft:{path.name}"] = len(rows)
        passthrough += rows
    ids = [p.id for p in pairs] + [r["id"] for r in passthrough]
    duplicates = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) != len(ids) else []
    if duplicates:
        raise TrainingError(f"duplicate example ids across sources: {', '.join(duplicates[:5])}")

    if options.retrieval and options.suggestions > 0 and pairs:
        kb = kb if kb is not None else open_kb(options.kb)
        hits = retrieve(pairs, kb, options.suggestions)
    else:
        hits = [[] for _ in pairs]
    rows = [example(p, h, options.suggestions) for p, h in zip(pairs, hits, strict=True)] + passthrough
    if not rows:  # an empty dataset would only fail later, in training, far from its cause
        raise TrainingError(f"no usable example in the sources ({', '.join(counts)}); the warnings above say why")
    options.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = options.out.with_name(options.out.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    temporary.replace(options.out)  # a crash never leaves half a dataset under the final name
    with_hits = sum(1 for h in hits if h)
    return {"rows": len(rows), "with_suggestions": with_hits, "sources": counts, "out": str(options.out)}


# --- command line --------------------------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add the ``dataset`` subcommand."""
    parser = subparsers.add_parser(
        "dataset",
        help="build chat-format SFT examples from (slow, fast) pairs, with leave-one-out retrieval",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--pairs", type=Path, action="append", default=[], help="PIE-style pair JSONL (repeatable)")
    parser.add_argument("--catalogue", action="store_true", help="add the KB catalogue's (slow, fast) patterns")
    parser.add_argument("--sft", type=Path, action="append", default=[], help="SFT JSONL to include as it is")
    parser.add_argument("--fasterpy", type=Path, action="append", default=[], help="FasterPy message-format JSONL")
    parser.add_argument("--out", type=Path, default=DatasetOptions.out, help="output JSONL (default: %(default)s)")
    parser.add_argument("--kb", type=Path, default=None, help="knowledge-base folder (default: the catalogue KB)")
    parser.add_argument("--no-retrieval", action="store_true", help="no suggestions in the prompts")
    parser.add_argument("--suggestions", type=int, default=2, help="suggestions per prompt (default: 2)")
    parser.add_argument("--on-bad", choices=("skip", "fail"), default="skip", help="bad rows: skip (warn) or fail")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not (args.pairs or args.catalogue or args.sft or args.fasterpy):
        raise TrainingError("no source given: pass --pairs, --catalogue, --sft or --fasterpy")
    if args.suggestions < 0:
        raise TrainingError(f"--suggestions must be >= 0, got {args.suggestions}")
    options = DatasetOptions(
        pairs=args.pairs,
        catalogue=args.catalogue,
        sft=args.sft,
        fasterpy=args.fasterpy,
        out=args.out,
        kb=args.kb,
        retrieval=not args.no_retrieval,
        suggestions=args.suggestions,
        on_bad=args.on_bad,
    )
    summary = build_dataset(options)
    print(json.dumps(summary))
    return 0
