"""Write the test inputs of the embedded benchmark suite and compute the expected outputs.

Every input is produced by a seeded ``random.Random``, so re-running this script
rewrites byte-identical files.  The expected output of each input is whatever
``slow.py`` prints; ``fast.py`` must print exactly the same bytes.

    python make_inputs.py            # regenerate every program's tests
    python make_inputs.py 05 17      # only programs whose directory starts with these
    python make_inputs.py --check    # verify existing files, write nothing
    python make_inputs.py --time     # also time slow/fast in-process on the largest input
                                     # (median wall and CPU milliseconds, start-up excluded)
"""
from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SUITE = Path(__file__).resolve().parent
SEED = 20240611
MAX_INPUT_BYTES = 300_000
RUN_TIMEOUT_S = 60

CONSONANTS = "bcdfghklmnprstvwz"
VOWELS = "aeiou"


def make_vocabulary(r: random.Random, size: int, lengths=(1, 1, 2, 2, 2, 3, 3, 4)) -> list[str]:
    words = set()
    while len(words) < size:
        syllables = r.choice(lengths)
        words.add("".join(r.choice(CONSONANTS) + r.choice(VOWELS) for _ in range(syllables)))
    return sorted(words)


def zipf_choices(r: random.Random, vocabulary: list[str], k: int) -> list[str]:
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]
    return r.choices(vocabulary, weights=weights, k=k)


def lines(*rows) -> str:
    return "".join(f"{row}\n" for row in rows)


def join(values) -> str:
    return " ".join(map(str, values))


# --- one generator per program: gen(r, case) -> input text ------------------------------

def gen_01(r, case):
    n = (1, 60, 90_000)[case]
    lo, hi = ((7, 7), (-50, 50), (0, 99))[case]
    return lines(n, *(r.randint(lo, hi) for _ in range(n)))


def gen_02(r, case):
    return lines(("1 3 5", "40 3 5", "30000 4 6")[case])


def gen_03(r, case):
    if case == 0:
        return lines(8, "incomprehensibilities")
    vocabulary = make_vocabulary(r, 800)
    count, width = ((40, 20), (24_000, 72))[case - 1]
    words = zipf_choices(r, vocabulary, count)
    text_lines = []
    while words:
        take = r.randint(5, 14)
        text_lines.append(" ".join(words[:take]))
        words = words[take:]
    return lines(width, *text_lines)


def gen_04(r, case):
    if case == 0:
        return lines(1, 42, 1, 42)
    n_vips, n_visits, pool = ((5, 12, 20), (2_500, 3_000, 6_000))[case - 1]
    people = r.sample(range(100_000, 1_000_000), pool)
    vips = r.sample(people, n_vips)
    visits = [r.choice(people) for _ in range(n_visits)]
    return lines(n_vips, join(vips), n_visits, join(visits))


def gen_05(r, case):
    if case == 0:
        return lines("1 1", ".")
    rows, cols, walls = ((3, 4, 1), (11, 12, 3))[case - 1]
    grid = [["."] * cols for _ in range(rows)]
    cells = [(i, j) for i in range(rows) for j in range(cols)
             if (i, j) not in ((0, 0), (rows - 1, cols - 1))]
    for i, j in r.sample(cells, walls):
        grid[i][j] = "#"
    return lines(f"{rows} {cols}", *("".join(row) for row in grid))


def gen_06(r, case):
    if case == 0:
        return lines(1, 5, 2, "5 6")
    n, q, top = ((10, 8, 30), (30_000, 3_000, 1_000_000))[case - 1]
    numbers = sorted(r.sample(range(top), n))
    queries = [r.choice(numbers) if r.random() < 0.5 else r.randrange(top) for _ in range(q)]
    return lines(n, join(numbers), q, join(queries))


def gen_07(r, case):
    if case == 0:
        return lines(1, 0, 1, "1 1")
    n, q = ((12, 6), (3_000, 1_500))[case - 1]
    zero_rate = (0.2, 0.002)[case - 1]
    values = [0 if r.random() < zero_rate else r.choice((-1, 1)) * r.randint(1, 999)
              for _ in range(n)]
    queries = []
    for _ in range(q):
        left = r.randint(1, n)
        right = r.randint(left, n)
        queries.append(f"{left} {right}")
    return lines(n, join(values), q, *queries)


def gen_08(r, case):
    return lines((1, 105, 120_000)[case])


def gen_09(r, case):
    if case == 0:
        return lines(1, 5)
    n, top = ((15, 10), (8_000, 1_000_000))[case - 1]
    return lines(n, join(r.randint(0, top) for _ in range(n)))


def gen_10(r, case):
    if case == 0:
        return lines("1 3", 5)
    n, quantum, longest = ((6, 3, 10), (22_000, 10, 35))[case - 1]
    return lines(f"{n} {quantum}", join(r.randint(1, longest) for _ in range(n)))


def gen_11(r, case):
    return lines((1, 30, 15_000)[case])


def gen_12(r, case):
    if case == 0:
        return lines("1 10", 5)
    n, top = ((10, 10), (2_200, 1_000))[case - 1]
    return lines(f"{n} {top}", join(r.randint(0, top) for _ in range(n)))


def gen_13(r, case):
    if case == 0:
        return lines("1 1 1", "#")
    if case == 1:
        return lines("3 3 4", ".#.", "..#", "###")
    rows, cols, generations = 40, 40, 100
    soup = ["".join(r.choice("#..") for _ in range(cols)) for _ in range(rows)]
    return lines(f"{rows} {cols} {generations}", *soup)


def gen_14(r, case):
    if case == 0:
        return lines("1 1", 7, 1, "1 1 1 1")
    rows, cols, q = ((3, 4, 4), (250, 300, 1_500))[case - 1]
    grid = [join(r.randint(0, 9) for _ in range(cols)) for _ in range(rows)]
    queries = []
    for _ in range(q):
        r1 = r.randint(1, rows)
        r2 = r.randint(r1, rows)
        c1 = r.randint(1, cols)
        c2 = r.randint(c1, cols)
        queries.append(f"{r1} {c1} {r2} {c2}")
    return lines(f"{rows} {cols}", *grid, q, *queries)


def gen_15(r, case):
    if case == 0:
        return lines(3, "gcd 1 1", "sqrt 0", "comb 0 0")
    q, big = ((9, 10 ** 6), (4_000, 10 ** 36))[case - 1]
    queries = []
    for _ in range(q):
        kind = r.choice(("gcd", "sqrt", "comb"))
        if kind == "gcd":
            shared = r.randint(1, 10 ** 6)
            queries.append(f"gcd {shared * r.randint(1, 10 ** 6)} {shared * r.randint(1, 10 ** 6)}")
        elif kind == "sqrt":
            queries.append(f"sqrt {r.randint(0, big)}")
        else:
            n = r.randint(0, 600 if case == 2 else 20)
            queries.append(f"comb {n} {r.randint(0, n)}")
    return lines(q, *queries)


def gen_16(r, case):
    return lines(*(("22", 5), ("1", 10), ("3", 42))[case])


def gen_17(r, case):
    return lines((1, 100, 60_000)[case])


def gen_18(r, case):
    if case == 0:
        return lines("hello")
    vocabulary = make_vocabulary(r, 300, lengths=(1, 1, 2))
    count = (40, 64_000)[case - 1]
    tokens = []
    for _ in range(count):
        roll = r.random()
        if roll < 0.15:
            tokens.append(str(r.randint(0, 9_999)))
        elif roll < 0.2:
            tokens.append(r.choice("-+") + str(r.randint(0, 9_999)))
        elif roll < 0.25:
            tokens.append(r.choice(("-", "+", "--3", "4x", "x4", "1.5", "v2", "12-3")))
        else:
            tokens.append(r.choice(vocabulary))
    words = []
    while tokens:
        take = r.randint(4, 12)
        words.append(" ".join(tokens[:take]))
        tokens = tokens[take:]
    return lines(*words)


def gen_19(r, case):
    if case == 0:
        return lines("a", "b")
    n, alphabet = ((8, "AB"), (520, "ACGT"))[case - 1]
    return lines("".join(r.choice(alphabet) for _ in range(n)),
                 "".join(r.choice(alphabet) for _ in range(n + case)))


def gen_20(r, case):
    if case == 0:
        return lines("A")
    vocabulary = make_vocabulary(r, 600, lengths=(1, 2, 2))
    count = (40, 55_000)[case - 1]
    tokens = []
    for _ in range(count):
        word = r.choice(vocabulary)
        roll = r.random()
        if roll < 0.15:
            tokens.append(str(r.randint(0, 99_999)))
        elif roll < 0.35:
            tokens.append(word.capitalize())
        elif roll < 0.40:
            tokens.append(word.upper())
        elif roll < 0.50:
            tokens.append(word + r.choice(",.;:!?"))
        elif roll < 0.53:
            tokens.append(r.choice(("x7", "3rd", "e-mail", "C", "ok!", "n0", "café")))
        else:
            tokens.append(word)
    rows = []
    while tokens:
        take = r.randint(5, 13)
        rows.append(" ".join(tokens[:take]))
        tokens = tokens[take:]
    return lines(*rows)


def gen_21(r, case):
    if case == 0:
        return lines(1, "0 0 5")
    n, side = ((8, 3), (14_000, 300))[case - 1]
    points = [f"{r.randint(-side, side)} {r.randint(-side, side)} {r.randint(1, 9)}" for _ in range(n)]
    return lines(n, *points)


def gen_22(r, case):
    if case == 0:
        return lines(1, 10, 2, "9 10")
    n, q, top = ((6, 8, 50), (2_000, 3_000, 1_000_000))[case - 1]
    thresholds = sorted(r.sample(range(1, top), n))
    amounts = [r.randint(0, top) for _ in range(q)]
    return lines(n, join(thresholds), q, join(amounts))


def gen_23(r, case):
    if case == 0:
        return lines(1, ".")
    n, blocked = ((5, 2), (9, 4))[case - 1]
    board = [["."] * n for _ in range(n)]
    for cell in r.sample(range(n * n), blocked):
        board[cell // n][cell % n] = "#"
    return lines(n, *("".join(row) for row in board))


def caesar(text: str, shift: int) -> str:
    lower = "abcdefghijklmnopqrstuvwxyz"
    upper = lower.upper()
    return text.translate(str.maketrans(lower + upper, lower[shift:] + lower[:shift]
                                        + upper[shift:] + upper[:shift]))


def gen_24(r, case):
    if case == 0:
        return lines("Khoor, Zruog!")
    vocabulary = make_vocabulary(r, 900)
    count = (30, 4_000)[case - 1]
    out_lines = []
    words = zipf_choices(r, vocabulary, count)
    while words:
        take = r.randint(6, 14)
        sentence = words[:take]
        words = words[take:]
        sentence[0] = sentence[0].capitalize()
        for i in range(len(sentence) - 1):
            roll = r.random()
            if roll < 0.08:
                sentence[i] += ","
            elif roll < 0.10:
                sentence[i] = '"' + sentence[i] + '"'
            elif roll < 0.12:
                sentence[i] = sentence[i].upper()
            elif roll < 0.13:
                sentence[i] = "(" + sentence[i] + ")"
        out_lines.append(" ".join(sentence) + r.choice(".!?"))
    return caesar(lines(*out_lines), r.randint(1, 25))


def gen_25(r, case):
    if case == 0:
        return lines("1 1", 5)
    machines, jobs = ((3, 10), (400, 20_000))[case - 1]
    return lines(f"{machines} {jobs}", join(r.randint(1, 999) for _ in range(jobs)))


def gen_26(r, case):
    if case == 0:
        return lines("a", 2, "a", "b")
    length, alphabet, q = ((40, "ab", 4), (90_000, "abc", 6))[case - 1]
    text = "".join(r.choice(alphabet) for _ in range(length))
    patterns = []
    while len(patterns) < q:
        pattern = "".join(r.choice(alphabet) for _ in range(r.randint(1, 6)))
        if pattern not in patterns:
            patterns.append(pattern)
    return lines(text, q, *patterns)


def gen_27(r, case):
    return lines(("1 10", "20 7", "22000 10000")[case])


GENERATORS = {
    "01": gen_01, "02": gen_02, "03": gen_03, "04": gen_04, "05": gen_05, "06": gen_06,
    "07": gen_07, "08": gen_08, "09": gen_09, "10": gen_10, "11": gen_11, "12": gen_12,
    "13": gen_13, "14": gen_14, "15": gen_15, "16": gen_16, "17": gen_17, "18": gen_18,
    "19": gen_19, "20": gen_20, "21": gen_21, "22": gen_22, "23": gen_23, "24": gen_24,
    "25": gen_25, "26": gen_26, "27": gen_27,
}
CASES_PER_PROGRAM = 3

TIMER = r'''
import sys, time
path = sys.argv[1]
code = compile(open(path, encoding="utf-8").read(), path, "exec")
namespace = {"__name__": "__main__", "__file__": path}
c0, t0 = time.process_time(), time.perf_counter()
exec(code, namespace)
sys.stdout.flush()
t1, c1 = time.perf_counter(), time.process_time()
sys.stderr.write("\nELAPSED %r %r\n" % (t1 - t0, c1 - c0))
'''


def program_dirs(prefixes: list[str]) -> list[Path]:
    dirs = sorted(p for p in SUITE.iterdir() if p.is_dir() and p.name[:2].isdigit())
    if prefixes:
        dirs = [d for d in dirs if any(d.name.startswith(p) for p in prefixes)]
    return dirs


def run_program(program: Path, input_path: Path) -> bytes:
    with open(input_path, "rb") as stdin:
        result = subprocess.run([sys.executable, str(program)], stdin=stdin,
                                capture_output=True, timeout=RUN_TIMEOUT_S)
    if result.returncode != 0:
        raise RuntimeError(f"{program} exited {result.returncode} on {input_path.name}:\n"
                           + result.stderr.decode(errors="replace"))
    return result.stdout


def time_program(program: Path, input_path: Path, repeats: int) -> tuple[float, float]:
    """Median in-process wall and CPU time in milliseconds, interpreter start-up excluded."""
    wall, cpu = [], []
    for _ in range(repeats):
        with open(input_path, "rb") as stdin, tempfile.TemporaryFile() as stdout:
            result = subprocess.run([sys.executable, "-c", TIMER, str(program)], stdin=stdin,
                                    stdout=stdout, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT_S)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed while timing:\n{result.stderr.decode()}")
        elapsed, used = result.stderr.decode().rsplit("ELAPSED ", 1)[1].split()
        wall.append(float(elapsed) * 1000)
        cpu.append(float(used) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def process(directory: Path, check_only: bool) -> list[str]:
    problems = []
    generator = GENERATORS[directory.name[:2]]
    tests = directory / "tests"
    tests.mkdir(exist_ok=True)
    for case in range(CASES_PER_PROGRAM):
        input_path = tests / f"input.{case}.txt"
        output_path = tests / f"output.{case}.txt"
        text = generator(random.Random(f"{SEED}:{directory.name}:{case}"), case)
        data = text.encode("utf-8")
        if len(data) > MAX_INPUT_BYTES:
            problems.append(f"{input_path.relative_to(SUITE)} is {len(data)} bytes")
        if check_only:
            if not input_path.exists() or input_path.read_bytes() != data:
                problems.append(f"{input_path.relative_to(SUITE)} differs from the generator")
                continue
        else:
            input_path.write_bytes(data)
        expected = run_program(directory / "slow.py", input_path)
        if check_only:
            if not output_path.exists() or output_path.read_bytes() != expected:
                problems.append(f"{output_path.relative_to(SUITE)} differs from slow.py")
        else:
            output_path.write_bytes(expected)
        if run_program(directory / "fast.py", input_path) != expected:
            problems.append(f"{directory.name}: fast.py output differs on case {case}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="directory-name prefixes to process")
    parser.add_argument("--check", action="store_true", help="verify, write nothing")
    parser.add_argument("--time", action="store_true", help="time slow/fast on the largest input")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    all_problems = []
    for directory in program_dirs(args.only):
        problems = process(directory, args.check)
        all_problems += problems
        line = f"{directory.name:32s} {'ok' if not problems else 'PROBLEM'}"
        if args.time:
            largest = directory / "tests" / f"input.{CASES_PER_PROGRAM - 1}.txt"
            slow_ms, slow_cpu = time_program(directory / "slow.py", largest, args.repeats)
            fast_ms, fast_cpu = time_program(directory / "fast.py", largest, args.repeats)
            line += (f"  wall: slow {slow_ms:7.1f} fast {fast_ms:6.1f} x{slow_ms / fast_ms:6.1f}"
                     f"  cpu: slow {slow_cpu:7.1f} fast {fast_cpu:6.1f} x{slow_cpu / fast_cpu:6.1f}")
        print(line, flush=True)
    for problem in all_problems:
        print("  " + problem)
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
