"""`pod-course grade` with its kernels under bubblewrap: a hostile submission is contained and costs only its own
points.

One batch of ch6 hand-ins is graded once in a throw-away course: three honest students (the
reference answers, the untouched release, one with mistakes) and one hostile submission per
attack, each built like `tools/sample_class.py` builds its broken hand-ins. Cheats that try to
obtain answers (from solutions/, another student, the gradebook) have their answer cells replaced
by code that would run the stolen answer: contained, they score what the untouched release scores.
Attacks on the machine (writes, network, processes, memory, disk, output) run before the
reference answers: contained, they score what the reference scores.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course.grading import grade as g
from course.grading import sandbox
from graders import pipeline

sys.path.insert(0, str(pipeline.ROOT / "tools"))
import sample_class

pytestmark = pytest.mark.slow

CHAPTER = "ch6"
LIVE_ENV = {"PODCOURSE_LIVE": "off", "PODCOURSE_LIVE_SKIPPED": "zero", "KUBECONFIG": os.devnull}
ORPHAN = "podcourse-isolation-orphan"
HONEST = {"h-reference": "reference", "h-untouched": "untouched", "h-mistakes": 1}

# Answer-cell code for the answer cell GID that runs that cell's answer found in one of PLACES.
STEAL = '''
import json, pathlib, sqlite3
def _steal(gid):
    for place in PLACES:
        for p in ([pathlib.Path(place)] if pathlib.Path(place).is_absolute() else
                  [q / place for q in pathlib.Path.cwd().parents]):
            try:
                if p.suffix == ".db":
                    row = sqlite3.connect(p).execute("select source from source_cell where name=?", (gid,)).fetchone()
                    if row and row[0]:
                        return row[0]
                    continue
                for c in json.loads(p.read_text())["cells"]:
                    if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid and "".join(c["source"]):
                        return "".join(c["source"])
            except Exception as exc:
                print("BLOCKED", p, type(exc).__name__)
    raise LookupError("no answer found")
try:
    exec(_steal(GID), globals())
    print("LEAKED")
except Exception as exc:
    print("BLOCKED", type(exc).__name__)
'''


def _attacks(course: Path, port: int) -> dict[str, str]:
    """Student id -> code run before the first (reference) answer cell."""
    repo = pipeline.ROOT
    return {
        "x-write-gradebook": f'''
import sqlite3
for db in [{str(course / ".nbgrader" / "gradebook.db")!r}, {str(repo / ".nbgrader" / "gradebook.db")!r}]:
    try:
        con = sqlite3.connect(db); con.execute("update grade set auto_score = 99"); con.commit()
        open(db, "ab").write(b"garbage")
        print("WROTE", db)
    except Exception as exc:
        print("BLOCKED", type(exc).__name__)
''',
        "x-write-code": f'''
import sys
for p in [{str(repo / "graders" / "zz_isolation_cheat.py")!r}, sys.prefix + "/zz_isolation_cheat.py",
          {str(course / "solutions" / CHAPTER / "zz_isolation_cheat.py")!r},
          {str(repo / "course" / "zz_isolation_cheat.py")!r}]:
    try:
        open(p, "w").write("x = 1\\n"); print("WROTE", p)
    except Exception as exc:
        print("BLOCKED", type(exc).__name__)
''',
        "x-network": f'''
import socket
for host, port in [("1.1.1.1", 53), ("127.0.0.1", {port})]:
    try:
        socket.create_connection((host, port), timeout=3).close(); print("CONNECTED", host)
    except Exception as exc:
        print("BLOCKED", type(exc).__name__)
''',
        "x-orphan": f'''
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)  # {ORPHAN}"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
''',
        "x-memory": '''
try:
    block = bytearray(8 * 2**30); block[-1] = 1; print("ALLOCATED")
except MemoryError:
    print("BLOCKED MemoryError")
block = None
''',
        "x-disk": '''
import os
try:
    with open("big.bin", "wb") as fh:
        chunk = b"x" * 2**26
        for _ in range(32):
            fh.write(chunk)
    print("WROTE 2 GiB")
except OSError as exc:
    print("BLOCKED", exc.errno)
finally:
    if os.path.exists("big.bin"):
        os.remove("big.bin")
''',
        "x-output": 'print("x" * 50_000_000)\n',
    }


@dataclass
class Batch:
    course: Path
    summary: g.Summary
    accepted: list[int]  # connections the host's listening socket received


def _release(course: Path) -> tuple[Path, Path]:
    (pair,) = sample_class._pairs(course, CHAPTER)
    return pair


def _steal_submission(course: Path, student: str, places: list[str]) -> None:
    rel, sol = _release(course)
    ids = list(pipeline.answer_cells(nbformat.read(rel, as_version=4)))
    code = f"PLACES = {places!r}\n"
    patches = {gid: f"{code}GID = {gid!r}\n{STEAL}" for gid in ids}
    nb = pipeline.build_submission(rel, sol, base="release", patches=patches)
    pipeline.submit(course, student, CHAPTER, {rel.stem: nb})


def _before_first_answer(course: Path, student: str, code: str) -> None:
    rel, sol = _release(course)
    first = next(iter(pipeline.answer_cells(nbformat.read(rel, as_version=4))))
    nb = pipeline.build_submission(rel, sol, base="solution", patches={f"before:{first}": code})
    pipeline.submit(course, student, CHAPTER, {rel.stem: nb})


def _reference(course: Path) -> nbformat.NotebookNode:
    rel, sol = _release(course)
    return pipeline.build_submission(rel, sol, base="solution")


def _hostile_notebooks(course: Path) -> None:
    rel, _ = _release(course)
    nb = _reference(course)
    filler = [nbformat.v4.new_code_cell("pass") for _ in range(5000)]
    nb.cells = nb.cells[:1] + filler + nb.cells[1:]
    pipeline.submit(course, "x-5000-cells", CHAPTER, {rel.stem: nb})
    nb = _reference(course)
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
              and not c.metadata["nbgrader"].get("solution")]
    copy = nbformat.from_dict(json.loads(json.dumps(graded[0])))  # a test cell pasted again at the end
    nb.cells.append(copy)
    twin = nbformat.from_dict(json.loads(json.dumps(answers[-1])))  # an answer cell pasted after itself
    nb.cells.insert(nb.cells.index(answers[-1]) + 1, twin)
    pipeline.submit(course, "x-duplicate-id", CHAPTER, {rel.stem: nb})
    nb = _reference(course)
    answers[0] = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answers[0].metadata["nbgrader"]["schema_version"] = 99
    nb.cells.insert(1, nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {
        "grade_id": "not-a-cell-of-ch6", "grade": False, "solution": False, "locked": True, "schema_version": 3}}))
    pipeline.submit(course, "x-bad-metadata", CHAPTER, {rel.stem: nb})


def _listen() -> tuple[socket.socket, list[int]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(1)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server, accepted


@pytest.fixture(scope="module", autouse=True)
def _no_cluster() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in LIVE_ENV.items():
            mp.setenv(k, v)
        mp.delenv("PODCOURSE_GRADE_WORKERS", raising=False)
        yield


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    why = sandbox.probe()
    if why is not None:
        if os.environ.get("PODCOURSE_REQUIRE_SANDBOX"):  # CI: isolation must be there, not skipped
            pytest.fail(f"the grading sandbox is required (PODCOURSE_REQUIRE_SANDBOX) but unusable: {why}")
        pytest.skip(why)
    course = sample_class.make_course(tmp_path_factory.mktemp("isolation") / "course", CHAPTER)
    for student, how in HONEST.items():
        sample_class.honest(course, CHAPTER, student, how)
    server, accepted = _listen()
    port = server.getsockname()[1]
    rel, _ = _release(course)
    me = course / ".nbgrader" / "submitted" / "h-reference" / CHAPTER / rel.name
    _steal_submission(course, "x-solutions-parents", [f"solutions/{CHAPTER}/{rel.name}"])
    _steal_submission(course, "x-solutions-absolute", [str(course / "solutions" / CHAPTER / rel.name),
                                                       str(pipeline.ROOT / "solutions" / CHAPTER / rel.name)])
    _steal_submission(course, "x-other-student", [str(me), f".nbgrader/submitted/h-reference/{CHAPTER}/{rel.name}"])
    # the real gradebook, and the worker's own copy of it (job-N/gradebook.db, a parent of the kernel's folder)
    _steal_submission(course, "x-gradebook-answers", [str(course / ".nbgrader" / "gradebook.db"), "gradebook.db",
                                                     ".nbgrader/gradebook.db"])
    for student, code in _attacks(course, port).items():
        _before_first_answer(course, student, code)
    _hostile_notebooks(course)
    try:
        summary = g.grade(CHAPTER, course_root=course, jobs=2, live="off", timeout=240, out=io.StringIO())
        yield Batch(course, summary, accepted)
    finally:
        server.close()


def _outcome(batch: Batch, student: str) -> g.Outcome:
    return next(o for o in batch.summary.outcomes if o.student == student)


def _autograded_text(batch: Batch, student: str) -> str:
    """Every output the autograded notebook shows (not its sources)."""
    (path,) = (batch.course / ".nbgrader" / "autograded" / student / CHAPTER).glob("*.ipynb")
    outs = [o for c in nbformat.read(path, as_version=4).cells for o in c.get("outputs", [])]
    return "\n".join(str(o.get("text", "")) + str(o.get("evalue", "")) + "".join(o.get("traceback", []))
                     for o in outs)


# ---------------------------------------------------------------------------


def test_batch_is_graded_in_the_sandbox(batch: Batch) -> None:
    """Is the batch graded in sandbox mode, with no isolation warning in the table or the JSON?"""
    assert batch.summary.isolation == "sandbox"
    data = json.loads(batch.summary.path.read_text()) if batch.summary.path else {}
    assert data["isolated"] is True and g.NOT_ISOLATED not in g.format_table(batch.summary)


def test_honest_students_are_graded_as_without_a_sandbox(batch: Batch) -> None:
    """Do the honest students in a hostile batch get their usual scores (reference above mistakes above release)?"""
    ref, untouched, mistakes = (_outcome(batch, s) for s in HONEST)
    assert all(o.status == "graded" for o in (ref, untouched, mistakes))
    assert not ref.cells_failed and ref.score > mistakes.score > untouched.score


@pytest.mark.parametrize("student", ["x-solutions-parents", "x-solutions-absolute", "x-other-student",
                                     "x-gradebook-answers"])
def test_stolen_answers_are_out_of_reach(student: str, batch: Batch) -> None:
    """Does a cheat that runs answers from solutions/, another student or the gradebook find none and score as
    the untouched release?"""
    o = _outcome(batch, student)
    assert o.status == "graded" and o.score == _outcome(batch, "h-untouched").score, o
    text = _autograded_text(batch, student)
    assert "LEAKED" not in text and "BLOCKED" in text


@pytest.mark.parametrize("student", ["x-write-gradebook", "x-write-code", "x-network", "x-orphan", "x-memory",
                                     "x-disk", "x-output", "x-duplicate-id", "x-bad-metadata"])
def test_attack_before_the_answers_costs_nothing_else(student: str, batch: Batch) -> None:
    """Is a submission that attacks the machine before its reference answers still graded as the reference?"""
    o, ref = _outcome(batch, student), _outcome(batch, "h-reference")
    assert o.status == "graded", o.reason
    assert (o.score, o.cells) == (ref.score, ref.cells)


def test_writes_outside_the_copy_change_nothing(batch: Batch) -> None:
    """Do writes to the real gradebook, graders/, the venv and solutions/ leave every file as it was?"""
    text = _autograded_text(batch, "x-write-code") + _autograded_text(batch, "x-write-gradebook")
    assert "WROTE" not in text and text.count("BLOCKED") >= 6
    for p in [pipeline.ROOT / "graders" / "zz_isolation_cheat.py", Path(sys.prefix) / "zz_isolation_cheat.py",
              batch.course / "solutions" / CHAPTER / "zz_isolation_cheat.py",
              pipeline.ROOT / "course" / "zz_isolation_cheat.py"]:
        assert not p.exists(), p
    db = (batch.course / ".nbgrader" / "gradebook.db").read_bytes()
    assert not db.endswith(b"garbage")
    assert all(o.score <= o.max_score for o in batch.summary.outcomes)


def test_no_network_and_no_process_left(batch: Batch) -> None:
    """Can the kernel reach neither 1.1.1.1 nor the host, and is no process it started left after grading?"""
    text = _autograded_text(batch, "x-network")
    assert "CONNECTED" not in text and text.count("BLOCKED") == 2
    assert batch.accepted == []
    left = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if ORPHAN.encode() in (entry / "cmdline").read_bytes():
                    left.append(entry.name)
            except OSError:
                continue
    assert left == []


def test_memory_disk_and_output_are_limited(batch: Batch) -> None:
    """Are 8 GiB of memory, a 2 GiB file and 50 MB of output refused or cut, not paid by the grader?"""
    assert "BLOCKED MemoryError" in _autograded_text(batch, "x-memory")
    assert "BLOCKED 27" in _autograded_text(batch, "x-disk")  # EFBIG: the file size limit
    (path,) = (batch.course / ".nbgrader" / "autograded" / "x-output" / CHAPTER).glob("*.ipynb")
    assert path.stat().st_size < 2_000_000 and "characters cut" in path.read_text(encoding="utf-8")


def test_far_too_many_cells_are_refused(batch: Batch) -> None:
    """Is a notebook with 5,000 cells refused before grading, scored 0, with the reason in the summary?"""
    o = _outcome(batch, "x-5000-cells")
    assert o.status == "failed" and o.score == 0 and "far more than the release" in o.reason


def test_sanitise_drops_duplicates_and_unknown_ids() -> None:
    """Does sanitise keep the first cell of a grade id, drop the copy, unmark unknown ids and fix the schema?"""
    def cell(gid: str, version: int = 3) -> dict[str, object]:
        return {"cell_type": "code", "source": gid, "metadata": {"nbgrader": {"grade_id": gid,
                                                                             "schema_version": version}}}
    nb = {"cells": [cell("a"), cell("a"), cell("zz"), cell("b", 99), {"cell_type": "code", "source": "",
                                                                       "metadata": {}}]}
    notes = sandbox.sanitise(nb, {"a", "b"}, 4)
    assert [c["source"] for c in nb["cells"]] == ["a", "zz", "b", ""] and len(notes) == 3
    assert "nbgrader" not in nb["cells"][1]["metadata"]
    assert nb["cells"][2]["metadata"]["nbgrader"]["schema_version"] == 3
    with pytest.raises(sandbox.Refused, match="far more"):
        sandbox.sanitise({"cells": [cell("a")] * 29}, {"a"}, 4)


def test_without_bwrap_grading_goes_on_with_a_loud_warning(batch: Batch, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where bwrap is missing or broken, is the class graded anyway with "NOT isolated" in the table and JSON?"""
    monkeypatch.setattr(sandbox, "probe", lambda: "bubblewrap (bwrap) is not installed")
    summary = g.grade(CHAPTER, course_root=batch.course, students=["h-reference"], live="off", force=True,
                      progress=False)
    assert [o.status for o in summary.outcomes] == ["graded"]
    assert "WARNING: submissions were NOT isolated: bubblewrap (bwrap) is not installed" in g.format_table(summary)
    data = json.loads(summary.path.read_text()) if summary.path else {}
    assert data["isolated"] is False and data["isolation"].startswith(g.NOT_ISOLATED)


def test_symlinks_in_a_hand_in_are_left_out(tmp_path: Path) -> None:
    """Does the copy nbgrader grades leave out a hand-in's symbolic links (one to solutions/ brings nothing)?"""
    src = tmp_path / "hand-in"
    (src / "sub").mkdir(parents=True)
    (src / "ch6.ipynb").write_text("{}")
    (src / "sub" / "notes.txt").write_text("mine")
    (src / "stolen.ipynb").symlink_to(pipeline.ROOT / "solutions" / CHAPTER / "ch6.ipynb")
    (src / "linked-dir").symlink_to(pipeline.ROOT / "solutions")
    notes = sandbox.copy_submission(src, tmp_path / "copy")
    got = sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*"))
    assert got == ["ch6.ipynb", "sub", "sub/notes.txt"]
    assert sorted(notes) == ["linked-dir: a symbolic link, left out", "stolen.ipynb: a symbolic link, left out"]


def test_a_cell_past_its_timeout_is_interrupted_inside_the_sandbox(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Does a sandboxed kernel see its notebook's folder, keep its writes in its own copy, and get interrupted
    (by message, no signal reaches it) when a cell runs past the cell timeout, so the next cell still runs?"""
    from nbclient import NotebookClient

    if sandbox.probe() is not None:
        pytest.skip(sandbox.probe())
    folder, runtime = tmp_path / "nb", tmp_path / "k"
    folder.mkdir()
    runtime.mkdir()
    (folder / "data.txt").write_text("handed in")
    monkeypatch.setattr(sandbox, "JAIL", sandbox.Jail(tmp_path / "files", runtime))
    cells = ["import os\nprint(os.getpid(), os.getcwd(), open('data.txt').read())\nn = open('new.txt', 'w').write('x')",
             "while True:\n    pass", "print('after')"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=3, interrupt_on_timeout=True, allow_errors=True, shutdown_kernel="immediate",
                   kernel_manager_class=sandbox.JailedKernelManager,
                   resources={"metadata": {"path": str(folder)}}).execute()
    first, loop, last = ([o.get("text") or o.get("ename") for o in c.outputs] for c in nb.cells)
    assert first == [f"2 {folder} handed in\n"]  # pid 2 of its own namespace, at the notebook's path
    assert loop == ["KeyboardInterrupt"] and last == ["after\n"]
    assert sorted(p.name for p in folder.iterdir()) == ["data.txt"]  # the original folder is untouched
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == ["data.txt", "new.txt"]
