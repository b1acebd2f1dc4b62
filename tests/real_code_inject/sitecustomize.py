"""Test helper, not a test: a language server started with this folder on PYTHONPATH (its job processes inherit
it) gets a candidate generator that proposes one wrong rewrite of the realpkg fixture's slow method, so the
end-to-end tests can see verification reject it. Python imports ``sitecustomize`` at start-up by itself; the
generator is patched once ``optimizer.generate`` is first imported."""

import importlib.abc
import importlib.util
import sys

# Hoists the sort, as the right rewrite does, but counts the scores equal to the value too.
WRONG = (("for score in sorted(scores):", "for score in ordered:"),
         ("    for value in values:", "    ordered = sorted(scores)\n    for value in values:"),
         ("score >= value", "score > value"))


def wrong_candidates(self, code):
    from optimizer.candidates import Candidate

    for old, new in WRONG:
        code = code.replace(old, new)
    return [Candidate(code, "injected")], []


class PatchGenerate(importlib.abc.MetaPathFinder):
    """Lets ``optimizer.generate`` load as usual, then replaces ``CandidateGenerator.candidates``."""

    def find_spec(self, name, path=None, target=None):
        if name != "optimizer.generate":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            module.CandidateGenerator.candidates = wrong_candidates

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, PatchGenerate())
