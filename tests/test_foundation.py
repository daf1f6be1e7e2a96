"""Packaging, layout and the promises the README makes about setup."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "bert_score", "openai", "ipywidgets", "transformers", "statsmodels")


def test_import_evalnb_stays_light():
    code = (
        "import sys, evalnb\n"
        "evalnb.load_runs, evalnb.load_kpis, evalnb.score, evalnb.metric\n"
        "evalnb.list_metrics()\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "", f"import evalnb pulled in heavy modules: {out.stdout.strip()}"


def test_layout_exists():
    for rel in ["pyproject.toml", "environment.yml", "constraints.txt", "README.md", ".ci/run", "run",
                "evalnb/__init__.py", "widgets/__init__.py", "notebooks/01_quickstart.ipynb",
                "sample_data/README.md", "sample_data/make_sample_data.py",
                "sample_data/acme/__init__.py", "sample_data/acme/constants.py", "benchmarks", "tests"]:
        assert (ROOT / rel).exists(), rel


def _norm(name: str) -> str:
    name = re.split(r"[<>=!~ \[]", name.strip(), maxsplit=1)[0].lower().replace("_", "-")
    return {"pytorch": "torch"}.get(name, name)


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_norm(d) for d in project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_norm(d) for d in dep["pip"] if not d.startswith("-e")}
        else:
            conda.add(_norm(dep))
    named = (conda | pip) - {"python", "pip"}
    assert named == wanted, f"only in environment.yml: {named - wanted}; only in pyproject: {wanted - named}"


def test_torch_is_pinned_to_cpu_build_by_constraints():
    assert (ROOT / "constraints.txt").read_text().split() == ["torch==2.13.0"]
    run = (ROOT / "run").read_text()
    assert "-c constraints.txt" in run and "playwright install" not in run


def test_ci_runs_exactly_the_readme_test_command():
    ci = [l for l in (ROOT / ".ci/run").read_text().splitlines() if l and not l.startswith("#")]
    assert ci[-1] == "exec ./run test"
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", readme, re.S).group(1)
    commands = [l.split("#")[0].strip() for l in first_block.splitlines() if l.split("#")[0].strip()]
    assert commands == ["./run lab", "./run test"]


def test_readme_is_assembled_from_fragments():
    result = subprocess.run([sys.executable, "docs/build_readme.py", "--check"], cwd=ROOT)
    assert result.returncode == 0, "README.md is stale: run python docs/build_readme.py"


def test_no_top_level_widgets_module_and_core_has_no_widget_imports():
    out = subprocess.run([sys.executable, "-c", "import widgets"], capture_output=True, text=True, cwd="/")
    assert out.returncode != 0
    import evalnb.widgets  # noqa: F401  (installed as a subpackage)

    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "evalnb").rglob("*.py")
                 if re.search(r"^\s*(import|from)\s+(ipywidgets|evalnb\.widgets|anywidget)", p.read_text(), re.M)]
    assert offenders == []


def test_cli_lists_commands():
    out = subprocess.run([sys.executable, "-m", "evalnb.cli", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "validate" in out.stdout


def test_docs_list_every_public_name_and_command():
    """The README is a short front page; the guide (docs/readme fragments and docs pages, also the
    documentation site) documents every public name and every command by name."""
    import evalnb
    from evalnb.cli import COMMANDS

    docs = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").rglob("*.md")))
    missing = [n for n in evalnb._API if f"`{n}`" not in docs]
    assert not missing, f"public names not documented in docs/: {missing}"
    undocumented = [c for c in COMMANDS if f"evalnb {c}" not in docs]
    assert not undocumented, f"commands never shown as `evalnb <command>` in docs/: {undocumented}"
