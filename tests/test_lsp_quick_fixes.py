"""Quick fixes: listed without an edit, verified like a candidate on resolve, preferred only when verified faster;
unverifiable fixes offered "(unverified)" for safe rules only; none of them part of a source action."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsp_support import (
    CLIENTS,
    edited_text,
    initialize_params,
    open_document,
    replace_text,
    resolves,
    server_config,
    wait_for,
)
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from optimizer.rules import ALL_RULES, RULES_BY_CODE
from server.diagnostics import fix_offer, rule_docs
from server.jobs import JobOutcome

# A small program per rule on which the rule's finding carries an edit (stdin programs, or a function called
# with literal arguments). None comes with input files.
EXAMPLES = {
    "PERF101": "import numpy\nprint(1)\n",
    "PERF102": "import numpy as np\nx = float(input())\nprint(np.sqrt(x))\n",
    "PERF103": "n = int(input())\nfor _ in range(n):\n    print(int(input()))\n",
    "PERF105": "n = int(input())\nfor i in range(n):\n    print(i)\n",
    "PERF106": "total = 0\nfor i in range(10):\n    total += i\nprint(total)\n",
    "PERF107": "import numpy as np\na = np.zeros(10)\nfor i in range(10):\n    a[i] = i\nprint(a[3])\n",
    "PERF108": "def f(xs):\n    s = ''\n    for x in xs:\n        s += str(x)\n    return s\nprint(f([1, 2]))\n",
    "PERF109": (
        "def f(xs):\n"
        "    seen = [1, 2, 3]\n"
        "    c = 0\n"
        "    for x in xs:\n"
        "        if x in seen:\n"
        "            c += 1\n"
        "    return c\n"
        "print(f([1, 5]))\n"
    ),
    "PERF110": (
        "def f(xs):\n"
        "    out = []\n"
        "    for x in xs:\n"
        "        out.append(x * 2)\n"
        "    return out\n"
        "print(f([1, 2]))\n"
    ),
    "PERF111": "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\nprint(f(3))\n",
    "PERF113": (
        "def f(xs):\n"
        "    best = xs[0]\n"
        "    for x in xs:\n"
        "        if x > best:\n"
        "            best = x\n"
        "    return best\n"
        "print(f([1, 2]))\n"
    ),
    "PERF115": (
        "def f(words):\n"
        "    d = {}\n"
        "    for w in words:\n"
        "        if w in d:\n"
        "            d[w] += 1\n"
        "        else:\n"
        "            d[w] = 1\n"
        "    return d\n"
        "print(f(['a']))\n"
    ),
    "PERF116": (
        "def f(words):\n"
        "    d = {}\n"
        "    for w in words:\n"
        "        d[w] = d.get(w, 0) + 1\n"
        "    return d\n"
        "print(f(['a']))\n"
    ),
    "PERF118": (
        "def f(n):\n"
        "    q = [0]\n"
        "    while q:\n"
        "        x = q.pop(0)\n"
        "        if x < n:\n"
        "            q.append(x + 1)\n"
        "    return n\n"
        "print(f(3))\n"
    ),
    "PERF120": "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\nprint(fib(10))\n",
    "PERF123": (
        "def f(xs):\n"
        "    t = 0\n"
        "    for i in range(len(xs)):\n"
        "        t += xs[i]\n"
        "    return t\n"
        "print(f([1, 2]))\n"
    ),
    "PERF124": (
        "import re\n"
        "def f(lines):\n"
        "    c = 0\n"
        "    for line in lines:\n"
        "        if re.match(r'a+', line):\n"
        "            c += 1\n"
        "    return c\n"
        "print(f(['a']))\n"
    ),
    "PERF126": "import copy\ndef f():\n    xs = [1, 2, 3]\n    ys = copy.deepcopy(xs)\n    return ys\nprint(f())\n",
    "PERF129": "def f(n):\n    t = 0\n    for i in list(range(n)):\n        t += i\n    return t\nprint(f(3))\n",
    "PERF130": "def f(xs):\n    return any([x > 1 for x in xs])\nprint(f([1, 2]))\n",
    "PERF131": "def f(n):\n    c = 0\n    while n > 0:\n        n //= 10\n        c += 1\n"
               "    return c\nprint(f(123))\n",
    "PERF104": "n = int(eval(input()))\nprint(n + 1)\n",
    "PERF127": (
        "xs = list(map(int, input().split()))\n"
        "prefix = [0]\n"
        "for x in xs:\n"
        "    prefix.append(prefix[-1] + x)\n"
        "print(prefix)\n"
    ),
    "PERF112": "s = input()\na = 0\nfor ch in s:\n    if ch == 'a':\n        a += 1\nprint(a)\n",
    "PERF114": (
        "xs = list(map(int, input().split()))\n"
        "found = False\n"
        "for x in xs:\n"
        "    if x < 0:\n"
        "        found = True\n"
        "        break\n"
        "print(found)\n"
    ),
    "PERF117": "seen = {}\nprint('a' in seen.keys())\n",
    "PERF125": "base = list(map(int, input().split()))\nview = list(base)\nprint(sum(view))\n",
    "PERF119": (
        "xs = list(map(int, input().split()))\n"
        "answer = []\n"
        "for i in range(3):\n"
        "    answer.append(sorted(xs)[0])\n"
        "print(answer)\n"
    ),
    "PERF128": (
        "xs = list(map(int, input().split()))\n"
        "i = 0\n"
        "total = 0\n"
        "while i < len(xs) and xs[i] >= 0:\n"
        "    total += xs[i]\n"
        "    i += 1\n"
        "print(total)\n"
    ),
    "PERF121": "MOD = 10 ** 9 + 7\na, b = map(int, input().split())\nprint(a ** (MOD - 2) % MOD * b % MOD)\n",
    "PERF122": "n = int(input())\nprint(int(n ** 0.5))\n",
}
# A stdin script whose list membership test (PERF109, unsafe) is measurably faster as a set.
MEMBERSHIP = (
    "xs = list(map(int, input().split()))\n"
    f"allowed = [{', '.join(str(i * 7) for i in range(60))}]\n"
    "count = 0\n"
    "for x in xs:\n"
    "    if x in allowed:\n"
    "        count += 1\n"
    "print(count)\n"
)
MEMBERSHIP_INPUT = " ".join(str(i * 13 % 1000) for i in range(100_000)) + "\n"


@pytest_lsp.fixture(config=server_config(), params=CLIENTS)
async def client(lsp_client: LanguageClient, request, tmp_path):
    await lsp_client.initialize_session(initialize_params(request.param, tmp_path))
    yield
    await lsp_client.shutdown_session()


def whole_document(uri: str, text: str, only: list[str] | None = None) -> types.CodeActionParams:
    end = types.Position(text.count("\n") + 1, 0)
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(types.Position(0, 0), end),
        context=types.CodeActionContext(diagnostics=[], only=only))


async def quick_fixes(client: LanguageClient, uri: str, text: str) -> list[types.CodeAction]:
    """The quick fixes for the whole document, once its diagnostics are in."""
    await wait_for(lambda: client.diagnostics.get(uri), timeout_s=30)
    actions = await client.text_document_code_action_async(
        whole_document(uri, text, only=[types.CodeActionKind.QuickFix]))
    return list(actions or [])


def claims_verified(action: types.CodeAction) -> bool:
    return "verified" in action.title and "unverified" not in action.title and "not measurably" not in action.title


def test_the_examples_cover_every_rule() -> None:
    assert set(EXAMPLES) == {rule.code for rule in ALL_RULES}


@pytest.mark.asyncio
async def test_no_fix_is_preferred_unless_verified(client: LanguageClient, tmp_path):
    resolving = resolves(client)
    # Resolving verifies in a job per fix: one client does it for every rule, the others check the listing.
    resolve_all = client.capabilities == client_capabilities("visual_studio_code")
    for code, text in EXAMPLES.items():
        uri = open_document(client, tmp_path / f"{code.lower()}.py", text)
        actions = await quick_fixes(client, uri, text)
        for action in actions:
            assert not action.is_preferred, action.title  # nothing is verified yet
            rule = RULES_BY_CODE[action.title.split(":")[0]]
            if resolving:
                assert action.edit is None and action.data["fix"] == rule.code, action
                # stdin programs without input files cannot be verified: no unsafe rule's fix is listed
                assert rule.safety == "safe" or "input(" not in text, action.title
            else:  # eager: unverified, so safe rules only
                assert rule.safety == "safe" and action.title.endswith("(unverified)"), action.title
                assert action.edit is not None
            if resolving and resolve_all:
                resolved = await client.code_action_resolve_async(action)
                assert not resolved.is_preferred or claims_verified(resolved), resolved.title
                assert resolved.edit is None or rule.safety == "safe" or "verified" in resolved.title, resolved.title
        if RULES_BY_CODE[code].safety == "safe":
            assert any(a.title.startswith(code) for a in actions), (code, [a.title for a in actions])


@pytest.mark.asyncio
async def test_stdin_script_with_a_sibling_input_gets_a_verified_preferred_fix(client: LanguageClient, tmp_path):
    (tmp_path / "input1.txt").write_text(MEMBERSHIP_INPUT)
    uri = open_document(client, tmp_path / "members.py", MEMBERSHIP)
    actions = await quick_fixes(client, uri, MEMBERSHIP)
    fixes = [a for a in actions if a.title.startswith("PERF109")]
    if not resolves(client):
        assert not fixes  # unsafe, and nothing verifies it without resolve
        return
    [fix] = fixes
    assert not fix.is_preferred and fix.edit is None
    fix = await client.code_action_resolve_async(fix)
    assert fix.is_preferred and claims_verified(fix) and "faster on input1.txt (1 input)" in fix.title, fix.title
    assert "allowed_set = set(allowed)" in edited_text(MEMBERSHIP, fix.edit)


@pytest.mark.asyncio
async def test_unsafe_rule_without_inputs_gets_no_fix(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "members.py", MEMBERSHIP)
    actions = await quick_fixes(client, uri, MEMBERSHIP)
    assert not [a for a in actions if a.title.startswith("PERF109")], [a.title for a in actions]
    assert any(d.code == "PERF109" for d in client.diagnostics[uri])  # the diagnostic stays


@pytest.mark.asyncio
async def test_safe_rule_without_inputs_is_offered_unverified(client: LanguageClient, tmp_path):
    text = EXAMPLES["PERF103"]
    uri = open_document(client, tmp_path / "buffered.py", text)
    [fix] = [a for a in await quick_fixes(client, uri, text) if a.title.startswith("PERF103")]
    if resolves(client):
        fix = await client.code_action_resolve_async(fix)
    assert fix.title.endswith("(unverified)") and not fix.is_preferred, fix.title
    assert "sys.stdin.readline" in edited_text(text, fix.edit)


@pytest.mark.asyncio
async def test_a_fix_listed_for_an_older_version_is_refused(client: LanguageClient, tmp_path):
    if not resolves(client):
        pytest.skip("the eager fallback computes the edit in the listing: no version can intervene")
    text = EXAMPLES["PERF103"]
    uri = open_document(client, tmp_path / "buffered.py", text)
    [fix] = [a for a in await quick_fixes(client, uri, text) if a.title.startswith("PERF103")]
    replace_text(client, uri, "# edited\n" + text, 2)
    fix = await client.code_action_resolve_async(fix)
    assert fix.edit is None and not fix.is_preferred
    assert "changed since this fix was listed" in fix.title, fix.title


@pytest.mark.asyncio
async def test_no_source_action_applies_quick_fixes(client: LanguageClient, tmp_path):
    text = EXAMPLES["PERF103"]  # a safe fix, offered unverified as a quick fix
    uri = open_document(client, tmp_path / "buffered.py", text)
    await wait_for(lambda: client.diagnostics.get(uri), timeout_s=30)
    for only in ([types.CodeActionKind.SourceFixAll], [types.CodeActionKind.Source]):
        actions = await client.text_document_code_action_async(whole_document(uri, text, only=only))
        for action in actions or []:
            assert action.kind != types.CodeActionKind.QuickFix and not action.kind.startswith("source.fixAll")
            assert action.edit is None or claims_verified(action), action.title  # no inputs: nothing verified


def test_only_a_verified_speedup_is_preferred_and_a_different_result_never_offered() -> None:
    safe, unsafe = rule_docs()["PERF103"], rule_docs()["PERF109"]
    faster = JobOutcome("faster", code="x", speedup=1.8, inputs_used=1, input_sources={"input1.txt": 1},
                        verdicts=("faster",))
    offer = fix_offer(unsafe, faster)
    assert offer.offered and offer.preferred and "verified 1.8x faster on input1.txt (1 input)" in offer.title
    for doc in (safe, unsafe):
        same = fix_offer(doc, JobOutcome("not_faster", "1 candidate tried: not faster", verdicts=("not_faster",)))
        assert same.offered and not same.preferred and "not measurably faster" in same.title
        wrong = fix_offer(doc, JobOutcome("not_faster", "1 candidate tried: wrong", verdicts=("wrong",)))
        assert not wrong.offered and not wrong.preferred
        for unverified in (None, JobOutcome("unverified", "no verification inputs"), JobOutcome("timeout", "stop")):
            offer = fix_offer(doc, unverified)
            assert not offer.preferred and offer.offered == (doc.safety == "safe"), (doc.code, offer)
            assert not offer.offered or offer.title.endswith("(unverified)")


@pytest.mark.parametrize(("rules", "derived"), [(("PERF103",), False), (("PERF105",), True)])
def test_a_fix_job_knows_its_rule_safe_ones_skip_derived_inputs(rules: tuple[str, ...], derived: bool):
    """The fix's job carries the rule that made it: a safe rule's fix is trusted on the given inputs, an unsafe
    one's (the same text, as if PERF105 had made it) is also run on derived inputs; the report names the rule."""
    from optimizer.candidates import Engines, VerificationInputs
    from optimizer.rules import rewrite
    from server.jobs import JobRequest, run_job

    source = "n = int(input())\ntotal = 0\nfor _ in range(n):\n    total += int(input())\nprint(total)\n"
    fix = rewrite(source, select={"PERF103"}).code
    inputs = VerificationInputs((b"4000\n" + b"7\n" * 4000,), ("input1.txt",))
    outcome = run_job(JobRequest("program", source, Engines(rules=True, llm=False, retrieval=False), inputs=inputs,
                                 rewrite=fix, rewrite_rules=rules, time_budget_s=60))
    assert outcome.status in ("faster", "not_faster"), outcome
    assert outcome.rules == rules
    assert f"**{rules[0]}**" in outcome.details or outcome.status != "faster", outcome.details
    assert ("derived from those" in outcome.details) is derived, outcome.details
    assert ("no derived inputs needed: every rule applied is safe" in outcome.details) is not derived
