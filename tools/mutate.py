"""Mutation testing of the modules where a silent bug changes results (``make mutate``).

Runs mutmut (3.x) once per *group*: a few source modules and the test files that cover
them, so that each mutant is tested only by the relevant tests (mutmut further narrows
that to the tests that call the mutated function). Each group works in its own copy of
the repository under ``build/mutate/<group>/`` (mutmut reads its configuration from the
``pyproject.toml`` of the working directory), so groups never share mutmut state and a
re-run only re-tests the functions that changed.

Usage::

    python tools/mutate.py                  # every group
    python tools/mutate.py ordinal metrics  # some groups
    python tools/mutate.py --list           # the groups and their files
    python tools/mutate.py --jobs 2         # mutmut's --max-children (default 2)
    python tools/mutate.py --survivors metrics  # re-test last run's survivors (and untested)
    python tools/mutate.py ordinal --only 'sk_prnet.ordinal.x_borda*'  # some functions

The summary (per group: killed, survived, no tests, timeout, score) is printed and
written to ``build/mutate/summary.json``; the surviving mutants of a group are listed by
``cd build/mutate/<group> && python -m mutmut results`` and shown with
``python -m mutmut show <name>``. See ``docs/testing.md``.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (mutmut itself then depends on toml)
    import toml as tomllib

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "mutate"

#: group -> (modules to mutate, test files that cover them)
GROUPS = {
    "ordinal": (
        ["sk_prnet/ordinal.py"],
        [
            "tests/ordinal/test_ordinal.py",
            "tests/estimators/test_rank_scores.py",
            "tests/ordinal/test_bradley_terry.py",
            "tests/ordinal/test_ordinal_contract.py",
            "tests/ordinal/test_bradley_terry_checks.py",
        ],
    ),
    "metrics": (
        ["sk_prnet/metrics.py"],
        ["tests/test_metrics.py", "tests/test_metrics_contract.py"],
    ),
    "feature_selection": (
        ["sk_prnet/feature_selection.py"],
        ["tests/test_feature_selection.py", "tests/test_feature_selection_contract.py"],
    ),
    "pairing": (
        ["sk_prnet/modules/pairing.py"],
        [
            "tests/modules/test_modules.py",
            "tests/modules/test_pairing_contract.py",
            "tests/modules/test_weighted_ranking_loss.py",
            "tests/estimators/test_loss_composition.py",
            "tests/modules/test_losses_contract.py",
        ],
    ),
    "losses": (
        ["sk_prnet/modules/losses.py"],
        [
            "tests/estimators/test_pair_losses.py",
            "tests/estimators/test_ranknet.py",
            "tests/estimators/test_loss_composition.py",
            "tests/estimators/test_weights.py",
            "tests/modules/test_modules.py",
            "tests/modules/test_losses_contract.py",
        ],
    ),
    "eeg": (["sk_prnet/eeg/*.py"], ["tests/eeg"]),
    "deap": (["sk_prnet/datasets/deap.py"], ["tests/datasets/test_deap.py"]),
    "seed": (["sk_prnet/datasets/seed.py"], ["tests/datasets/test_seed.py"]),
    "affectnet": (["sk_prnet/datasets/affectnet.py"], ["tests/datasets/test_affectnet.py"]),
    "pipelines": (
        ["sk_prnet/pipelines.py"],
        [
            "tests/test_pipelines.py",
            "tests/test_pipelines_selection.py",
            "tests/test_pipeline_recipes.py",
            "tests/eeg/test_authors_recipe.py",
            "tests/experiments/test_wiring.py",
        ],
    ),
    "experiments": (
        [
            "sk_prnet/experiments/units.py",
            "sk_prnet/experiments/execute.py",
            "sk_prnet/experiments/protocol.py",
            "sk_prnet/experiments/batching.py",
            "sk_prnet/experiments/deap.py",
            "sk_prnet/experiments/seed.py",
            "sk_prnet/experiments/regression.py",
            "sk_prnet/experiments/sweep.py",
            "sk_prnet/experiments/cutoff.py",
            "sk_prnet/experiments/affectnet.py",
        ],
        # the fast tests of what reaches the model: the runner's and batched runs' tests
        # (whole runs, minutes per mutant) would take hours for this group's ~1,900 mutants
        [
            "tests/experiments/test_wiring.py",
            "tests/experiments/test_plans.py",
            "tests/experiments/test_tasks_wiring.py",
        ],
    ),
    # the batched executor: its tests are whole (tiny) batched runs, seconds per mutant
    "batching": (
        ["sk_prnet/experiments/batching.py"],
        ["tests/experiments/test_batched_runs.py"],
    ),
    "store": (["sk_prnet/experiments/store.py"], ["tests/experiments/test_store.py"]),
    # the batched training engine: every mutant is judged by batched fits against real fits
    "engine": (
        ["sk_prnet/estimators/_batched.py"],
        ["tests/estimators/test_fit_batched.py"],
    ),
}

STATUSES = ("killed", "survived", "no_tests", "timeout", "suspicious", "skipped", "segfault")


def _mutmut_section(modules, tests):
    """The [tool.mutmut] table of a group: the repository's shared options + the group's."""
    shared = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("mutmut", {})
    options = dict(shared)
    options["only_mutate"] = modules
    # only the group's test files that exist (a file may not exist yet on an older branch)
    options["pytest_add_cli_args_test_selection"] = [t for t in tests if (ROOT / t).exists()]
    lines = ["[tool.mutmut]"]
    for key, value in options.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _prepare(group):
    modules, tests = GROUPS[group]
    work = OUT / group
    work.mkdir(parents=True, exist_ok=True)
    for folder in ("sk_prnet", "tests"):
        shutil.copytree(
            ROOT / folder, work / folder, dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )  # fmt: skip
    text = (ROOT / "pyproject.toml").read_text()
    text = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text)
    (work / "pyproject.toml").write_text(text.rstrip() + "\n\n" + _mutmut_section(modules, tests))
    return work


def _env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the mutated copy in mutants/ must be the one imported
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def run_group(group, jobs, only=(), previous=None, sample=False):
    work = _prepare(group)
    print(f"== {group}: mutating {', '.join(GROUPS[group][0])}", flush=True)
    # a killed mutant stays killed when tests are added, so after writing tests it is enough
    # to re-test the survivors (``only``)
    cmd = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *only]
    subprocess.run(cmd, cwd=work, env=_env(), check=False)
    subprocess.run([sys.executable, "-m", "mutmut", "export-cicd-stats"], cwd=work,
                   env=_env(), check=False, capture_output=True)  # fmt: skip
    stats_file = work / "mutants" / "mutmut-cicd-stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    listing = subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=work,
                             env=_env(), capture_output=True, text=True).stdout  # fmt: skip
    survivors = [line.split(":")[0].strip() for line in listing.splitlines()
                 if line.strip().endswith(": survived")]  # fmt: skip
    # mutants no test called: re-tested by --survivors too (new tests may call them)
    untested = [line.split(":")[0].strip() for line in listing.splitlines()
                if line.strip().endswith(": no tests")]  # fmt: skip
    remembered = sum(stats.get(k, 0) for k in ("killed", "survived", "timeout")) >= sum(
        (previous or {}).get(k, 0) for k in ("killed", "survived", "timeout"))
    # mutmut may forget the results of the mutants not re-tested: then add them back
    if only and not sample and not remembered:
        if stats.get("killed", 0) + stats.get("survived", 0) + stats.get("timeout", 0) == 0:
            raise SystemExit(f"{group}: the re-test did not run (see mutmut's output above)")
        stats["killed"] = previous["killed"] + stats.get("killed", 0)
        stats["timeout"] = previous.get("timeout", 0) + stats.get("timeout", 0)
        retested = set(only) & set(previous.get("untested", []))
        stats["no_tests"] = previous.get("no_tests", 0) - len(retested) + stats.get("no_tests", 0)
    tested = stats.get("killed", 0) + stats.get("survived", 0) + stats.get("timeout", 0)
    score = (stats.get("killed", 0) + stats.get("timeout", 0)) / tested if tested else None
    result = {"modules": GROUPS[group][0], "tests": GROUPS[group][1], **stats,
              "score": score, "survivors": survivors, "untested": untested}  # fmt: skip
    if sample:
        result["only"] = list(only)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help=f"groups to run (default: all): {list(GROUPS)}")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested in parallel")
    parser.add_argument("--list", action="store_true", help="list the groups and exit")
    parser.add_argument("--survivors", action="store_true",
                        help="re-test only the mutants that survived the last run "
                             "or that no test called")  # fmt: skip
    parser.add_argument("--only", action="append", default=[], metavar="PATTERN",
                        help="test only the mutants whose names match (fnmatch, e.g. "
                             "'sk_prnet.ordinal.x_borda*'; repeatable): a sample of a large "
                             "group, scored on its own")  # fmt: skip
    args = parser.parse_args(argv)
    if args.list:
        for name, (modules, tests) in GROUPS.items():
            print(f"{name}: {' '.join(modules)}  <-  {' '.join(tests)}")
        return 0
    unknown = sorted(set(args.groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose from {list(GROUPS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    summary_file = OUT / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    for group in args.groups or list(GROUPS):
        last = summary.get(group, {})
        only = last.get("survivors", []) + last.get("untested", []) if args.survivors else []
        if args.survivors and not only:
            print(f"== {group}: no survivors recorded, skipped")
            continue
        if args.only:  # a sample: its own score, survivors as found (not merged)
            result = run_group(group, args.jobs, args.only, sample=True)
        else:
            result = run_group(group, args.jobs, only, summary.get(group))
        # re-read before writing: another group may have been run side by side meanwhile
        summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
        summary[group] = result
        summary_file.write_text(json.dumps(summary, indent=2))
    print(f"\n{'group':<18}{'killed':>8}{'survived':>10}{'no tests':>10}{'timeout':>9}"
          f"{'score':>8}")  # fmt: skip
    for group, s in summary.items():
        score = "-" if s.get("score") is None else f"{100 * s['score']:.0f} %"
        print(f"{group:<18}{s.get('killed', 0):>8}{s.get('survived', 0):>10}"
              f"{s.get('no_tests', 0):>10}{s.get('timeout', 0):>9}{score:>8}")  # fmt: skip
    print(f"(written to {summary_file.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
