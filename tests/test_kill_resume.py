"""A training run killed with SIGKILL resumes to a valid model, with no half-written files.

``npqa train`` runs as a subprocess on the tiny data set. While it runs, the
test watches the output directory and checks that every checkpoint file it can
see is complete (model_io.atomic_write writes a temporary file, fsyncs it and
renames it, so a reader never sees a partial one). Once the first epoch's
checkpoint exists the process is killed; ``--resume`` then finishes the run.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors import SafetensorError
from safetensors.torch import load_file

from npqa.model.files import CONFIG, TRAIN_STATE, VOCAB, WEIGHTS, load_model

REPO = Path(__file__).resolve().parent.parent
EPOCHS = 3
TIMEOUT_S = 120  # per process; the whole test takes about 20 s on a loaded 2-core machine


def train_command(out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "npqa.cli", "train",
        "--train", str(REPO / "data/tiny/data/tiny.tsv"), "--tables-root", str(REPO / "data/tiny"),
        "--out", str(out), "--epochs", str(EPOCHS), "--seed", "0", *extra,
    ]  # fmt: skip


def whole_files(out: Path) -> list[str]:
    """Names of the checkpoint files present in ``out``; fails if any is not complete."""
    present = []
    for name in (CONFIG, VOCAB):
        path = out / name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        json.loads(data)  # a half-written JSON file does not parse
        present.append(name)
    try:
        load_file(str(out / WEIGHTS))
        present.append(WEIGHTS)
    except FileNotFoundError:
        pass
    except SafetensorError as err:  # missing file or a real corruption
        if (out / WEIGHTS).exists():
            raise AssertionError(f"half-written {WEIGHTS}: {err}") from None
    return present


def temporaries(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def test_killed_training_resumes_to_a_valid_model(tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(train_command(out), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline, checks = time.monotonic() + TIMEOUT_S, 0
    try:
        while not (out / CONFIG).exists():  # written last, after the state and the weights
            assert proc.poll() is None, proc.communicate()[1].decode(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "no checkpoint within the time limit"
            if out.is_dir():
                whole_files(out)
                checks += 1
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert checks > 0
    assert set(whole_files(out)) == {CONFIG, VOCAB, WEIGHTS}  # what the kill left is whole
    done_before = json.loads((out / CONFIG).read_text())["training"]["epochs_done"]
    assert done_before < EPOCHS, "the run finished before it could be killed"

    resumed = subprocess.run(train_command(out, "--resume"), cwd=REPO, env=env, capture_output=True, timeout=TIMEOUT_S)
    assert resumed.returncode == 0, resumed.stderr.decode(errors="replace")[-2000:]
    assert b"resumed after epoch" in resumed.stdout + resumed.stderr
    model, vocab, config = load_model(out)
    assert config["training"]["epochs_done"] == EPOCHS
    assert [e["epoch"] for e in config["training"]["log"]] == list(range(1, EPOCHS + 1))
    assert temporaries(out) == []


def test_a_kill_during_a_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    """SIGKILL a process that rewrites a file in a loop with atomic_write: afterwards
    the file holds one complete version and only the temporary file can be left over
    (a crash between write and rename; it is hidden and never read as the file)."""
    target = tmp_path / "f.json"
    script = (
        "import json, sys; from pathlib import Path; from npqa.model.files import atomic_write\n"
        "p = Path(sys.argv[1]); i = 0\n"
        "while True:\n"
        "    atomic_write(p, json.dumps({'i': i, 'pad': 'x' * 200_000}).encode()); i += 1\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)], cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while not target.exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        seen = set()
        for _ in range(50):
            seen.add(json.loads(target.read_bytes())["i"])  # every read sees a whole version
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert len(seen) > 1  # the file really was being rewritten while we read it
    assert len(json.loads(target.read_bytes())["pad"]) == 200_000
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != target.name]
    assert all(name.startswith(f".{target.name}.") for name in leftovers)


def checkpoint(out: Path) -> None:
    """A valid checkpoint of the size ``npqa train`` builds by default (weights, config, vocab)."""
    from npqa.grammars.ops import LANGUAGE
    from npqa.model.config import ModelConfig
    from npqa.model.controller import NeuralProgrammer
    from npqa.model.files import save_model

    words = ["<pad>", "<unk>", "<num>", "how"]
    save_model(NeuralProgrammer(ModelConfig(len(words)), LANGUAGE), words, out, {"model_id": "t"})
    (out / TRAIN_STATE).write_bytes(b"not a torch file")


def resume_error(out: Path) -> tuple[int, str]:
    done = subprocess.run(train_command(out, "--resume"), cwd=REPO, capture_output=True, timeout=TIMEOUT_S)
    return done.returncode, done.stderr.decode(errors="replace")


@pytest.mark.parametrize("name", [CONFIG, WEIGHTS])
def test_resume_from_a_damaged_checkpoint_is_a_named_error(tmp_path: Path, name: str) -> None:
    """A checkpoint damaged outside npqa (disk, hand edit) makes ``--resume`` exit 2 with one line."""
    out = tmp_path / "run"
    checkpoint(out)
    (out / name).write_bytes(b"garbage")
    status, err = resume_error(out)
    assert status == 2, err
    assert err.strip().splitlines()[-1].startswith("error: ") and "Traceback" not in err


def test_resume_with_a_damaged_vocabulary_is_a_named_error(tmp_path: Path) -> None:
    out = tmp_path / "run"
    checkpoint(out)
    (out / VOCAB).write_text("{}")
    status, err = resume_error(out)
    assert status == 2, err
