"""What an install gives: asking without torch, the README's set-up commands, the
shipped model found from anywhere, the commands in ``npqa --help``.

Commands "without torch" run in a subprocess where ``import torch`` fails as it
does when torch is not installed (``sys.modules["torch"] = None``), with the
model shipped in the package; torch itself stays installed. A command that
imported torch would end with exit 1 (an unexpected ModuleNotFoundError).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "data" / "tiny"
TINY_TSV = TINY / "data" / "tiny.tsv"
TABLE = TINY / "csv" / "204-csv" / "365.csv"

WITHOUT_TORCH = (
    "import sys; sys.modules['torch'] = None; sys.argv = ['npqa', *sys.argv[1:]]; "
    "from npqa.cli import main; main()"
)


def npqa_without_torch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WITHOUT_TORCH, *args], capture_output=True, text=True, timeout=300)


def test_the_blocker_really_hides_torch() -> None:
    code = "import sys; sys.modules['torch'] = None\ntry:\n import torch\nexcept ImportError: print('hidden')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "hidden"


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["ask", str(TABLE), "how many singles were released in 2010?", "--json"],
        ["sql", str(TABLE), "how many singles were released in 2010?"],
        ["run", str(TABLE), 'count(greater(reset, "Year", 2009))'],
        ["eval", str(TINY_TSV), "--tables-root", str(TINY)],
        ["oracle", str(TINY_TSV), "--tables-root", str(TINY)],
        ["data-stats", str(TINY_TSV), "--tables-root", str(TINY)],
        ["model-info", "--json"],
    ],
    ids=lambda a: a[0],
)
def test_command_runs_without_torch(args: list[str]) -> None:
    out = npqa_without_torch(*args)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


def test_predict_then_score_without_torch(tmp_path: Path) -> None:
    preds = tmp_path / "preds.tsv"
    out = npqa_without_torch("predict", str(TINY_TSV), "--tables-root", str(TINY), "--out", str(preds))
    assert out.returncode == 0, out.stderr
    assert len(preds.read_text(encoding="utf-8").splitlines()) == len(TINY_TSV.read_text(encoding="utf-8").splitlines()) - 1
    scored = npqa_without_torch("score", str(TINY_TSV), str(preds))
    assert scored.returncode == 0, scored.stderr
    assert scored.stdout.strip().splitlines()[-1].startswith("accuracy=")


def test_train_without_torch_says_how_to_get_it(tmp_path: Path) -> None:
    out = npqa_without_torch("train", "--train", str(TINY_TSV), "--tables-root", str(TINY), "--out", str(tmp_path / "m"))
    assert out.returncode == 2
    assert out.stderr == "error: train: needs PyTorch: pip install 'npqa[train]'\n"
    assert not (tmp_path / "m").exists()


def test_predict_matches_the_torch_engine(tmp_path: Path) -> None:
    """``predict`` (numpy) writes what the torch model's batched inference gives."""
    from npqa.api import TableQA
    from npqa.model.files import default_model_dir, weight_dirs
    from npqa.train.infer import predict
    from npqa.train.prepare import load_split, prepare

    examples, tables = load_split(TINY_TSV, TINY)
    for directory in weight_dirs(default_model_dir()):  # a shipped ensemble: each member (an ensemble has no torch engine)
        texts = {}
        for engine in ("numpy", "torch"):
            qa = TableQA.load(directory, engine=engine)
            items, _ = prepare(examples, tables, qa.vocab, qa.model.language, qa.model.config.steps, False)
            texts[engine] = [[d.text for d in ds] for ds in predict(qa.model, items, top_k=3)]
        assert texts["numpy"] == texts["torch"], directory.name


def test_model_info_counts_the_parameters_torch_counts() -> None:
    import json

    import torch  # noqa: F401 - the reference count needs the torch model

    from npqa.api import TableQA
    from npqa.model.files import default_model_dir, weight_dirs

    out = npqa_without_torch("model-info", "--json")
    models = [TableQA.load(directory, engine="torch").model for directory in weight_dirs(default_model_dir())]
    assert json.loads(out.stdout)["parameters"] == sum(p.numel() for m in models for p in m.parameters())



def _readme_setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Set up", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()]


def test_readme_install_command_does_not_ask_for_torch() -> None:
    install = _readme_setup_commands()[0]
    assert install.startswith("pip install . && npqa ask ")
    assert "torch" not in install and "[" not in install.split("&&")[0]


def test_readme_test_command_is_what_ci_runs() -> None:
    test_command = _readme_setup_commands()[1]
    extras = set(test_command.split("[", 1)[1].split("]", 1)[0].split(","))
    assert {"test", "train", "serve", "browser"} <= extras  # the page and its browser test run in CI too
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_torch_is_only_in_the_train_extra() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [d for d in project["dependencies"] if d.startswith("torch")]
    assert project["optional-dependencies"]["train"] == ["torch>=2.1,<=2.13.0"]


# ---------------------------------------------------------------------------- found from anywhere


def test_a_stray_npqa_folder_beside_a_script_does_not_hide_the_shipped_model(tmp_path: Path) -> None:
    """A folder named ``npqa`` (no ``__init__.py``) beside a script becomes a namespace
    package that, with an editable install, shadows the real ``npqa`` by name."""
    (tmp_path / "npqa" / "notes").mkdir(parents=True)
    (tmp_path / "npqa" / "notes" / "todo.txt").write_text("not the package\n")
    script = tmp_path / "script.py"
    script.write_text(
        "from npqa.api import TableQA\n"
        f"print(TableQA.load().ask({str(TABLE)!r}, 'how many singles were released in 2010?').answer)\n"
    )
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("[")
    version = subprocess.run([sys.executable, "-m", "npqa.cli", "--version"], cwd=tmp_path, capture_output=True, text=True)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("npqa ") and "none shipped" not in version.stdout


def test_help_lists_ask_first() -> None:
    from typer.testing import CliRunner

    from npqa.cli import app

    result = CliRunner().invoke(app, ["--help"])
    commands = result.stdout.split("Commands:", 1)[1].split()
    assert commands[0] == "ask"


def test_the_command_line_runs_numpy_on_one_blas_thread() -> None:
    """``main`` sets OPENBLAS_NUM_THREADS=1 (unless set) before anything loads numpy,
    which reads it once: the numpy controller's small products gain nothing from threads."""
    code = (
        "import os, sys; os.environ.pop('OPENBLAS_NUM_THREADS', None); sys.argv = ['npqa', '--version']\n"
        "from npqa.cli import main\n"
        "loaded = 'numpy' in sys.modules\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(loaded, os.environ.get('OPENBLAS_NUM_THREADS'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "False 1"
