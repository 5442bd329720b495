"""The student build and the private overlay: learners get no solution and no hidden case, grading keeps them."""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from test_graders_ch1 import HELLO

from course.grading import confidential, sandbox
from graders import ch1, ch8, pipeline, private
from graders.core import Case, Exercise

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".json", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".go", "", ".sh"}


@pytest.fixture(autouse=True)
def _no_overlay(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv(private.ENV, raising=False)
    private.unpin()
    private._LOADED.clear()
    yield
    private.unpin()
    private._LOADED.clear()


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> Path:
    saved = os.environ.pop(private.ENV, None)
    try:
        out = tmp_path_factory.mktemp("student") / "pod-course"
        confidential.student_release(out)
    finally:
        if saved is not None:
            os.environ[private.ENV] = saved
    return out


def _texts(tree: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8", errors="replace") for p in sorted(tree.rglob("*"))
            if p.is_file() and p.suffix in TEXT_SUFFIXES}


def _full_modules() -> list[Any]:
    return [importlib.import_module(f"graders.{n}") for n in confidential.chapter_names(ROOT)]


def _release_text() -> str:
    return "\n".join(c.source for p in sorted((ROOT / "notebooks").rglob("*.ipynb"))
                     for c in nbformat.read(p, as_version=4).cells)


def _solution_blocks() -> list[list[str]]:
    blocks = []
    for nb in sorted(pipeline.private.solutions_dir(ROOT).rglob("*.ipynb")):
        for cell in nbformat.read(nb, as_version=4).cells:
            blocks += [[ln.strip() for ln in m.group(1).splitlines() if ln.strip()]
                       for m in SOLUTION.finditer(cell.source)]
    return blocks


# ---------------------------------------------------------------------------
# What the student tree holds
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "present"), [
    ("course/checker", True), ("graders/core.py", True), ("graders/withheld.json", True),
    ("notebooks/ch1", True), ("binder/postBuild", True), ("README.md", True), ("pyproject.toml", True),
    ("solutions", False), ("tests", False), ("tools", False), ("docs/instructor-guide.md", False),
    ("docs/authoring.md", False), (".git", False), (".nbgrader", False), ("benchmarks", False),
])
def test_student_tree_layout(student: Path, path: str, present: bool) -> None:
    """Does the student tree carry what learners need and nothing that holds answers?"""
    assert (student / path).exists() == present


def test_student_readme_says_what_the_release_lacks(student: Path) -> None:
    """Does the student tree's README open by saying it has no solutions, hidden checks or tests?"""
    text = (student / "README.md").read_text(encoding="utf-8")
    assert text.startswith(confidential.STUDENT_NOTICE)
    assert text[len(confidential.STUDENT_NOTICE):] == (ROOT / "README.md").read_text(encoding="utf-8")


def test_no_hidden_case_in_student_graders(student: Path) -> None:
    """Is every `Case` left in the student graders visible (no `hidden=` other than False)?"""
    for path in sorted((student / "graders").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if confidential._is_case(node):
                kw = confidential._hidden_kw(node)  # type: ignore[arg-type]
                assert kw is None or (isinstance(kw.value, ast.Constant) and kw.value.value is False), \
                    f"{path.name}:{node.lineno}"


def test_no_hidden_case_name_in_student_tree(student: Path) -> None:
    """Does no hidden case's name appear anywhere in the student tree, unless the release itself shows it?"""
    hidden = confidential.hidden_cases(_full_modules())
    visible = {c.name for m in _full_modules() for ex in vars(m).values() if isinstance(ex, Exercise)
               for c in ex.cases if not c.hidden}
    release = _release_text()
    names = {c.name for cases in hidden.values() for c in cases}
    # Short generic names ("the cause", "Pod C", "path") are words of the task itself; every name of
    # four words or more is the check's own text.
    distinctive = sorted(n for n in names if n not in visible and len(n.split()) >= 4 and n not in release)
    assert len(distinctive) > 50
    texts = _texts(student)
    leaks = [(n, str(p.relative_to(student))) for n in distinctive for p, t in texts.items()
             if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", t)]
    assert leaks == []


def test_no_hidden_case_in_student_modules(student: Path) -> None:
    """Do the student graders, imported, hold no hidden case, and withhold exactly the full graders' hidden ones?"""
    script = textwrap.dedent("""
        import importlib, json, sys
        from graders.core import Exercise
        out = {}
        for name in sys.argv[1:]:
            m = importlib.import_module(f"graders.{name}")
            for ex in vars(m).values():
                if isinstance(ex, Exercise):
                    out[ex.id] = [sum(c.hidden for c in ex.cases), list(ex.hidden_count()), ex.max_points]
        print(json.dumps(out))
    """)
    got = json.loads(_run(student, script, *confidential.chapter_names(ROOT)))
    for m in _full_modules():
        for ex in vars(m).values():
            if isinstance(ex, Exercise):
                n, pts = ex.hidden_count()
                assert got[ex.id] == [0, [n, pts], ex.max_points], ex.id


def _distinctive(line: str, release: str) -> bool:
    return len(line) >= 12 and not line.endswith(":") and line not in release


def test_no_solution_text_in_student_tree(student: Path) -> None:
    """Does no distinctive line of any solution block appear in the student tree's notebooks, docs or config,
    and no run of solution lines in its code?"""
    release = _release_text()
    blocks = _solution_blocks()
    assert len(blocks) > 40
    lines = {ln for b in blocks for ln in b if _distinctive(ln, release)}
    assert len(lines) > 100
    found = []
    for path, text in _texts(student).items():
        rel = str(path.relative_to(student))
        if path.suffix != ".py":
            # The release notebooks themselves are what learners get: only answer text is forbidden there.
            found += [(rel, ln) for ln in lines if ln in text]
            continue
        # Visible checks compare against the task's own values, so single lines may recur in code;
        # three consecutive solution lines (two of them distinctive) would be a copied answer.
        have = [ln.strip() for ln in text.splitlines() if ln.strip()]
        runs = {"\n".join(have[i:i + 3]) for i in range(len(have) - 2)}
        for b in blocks:
            for i in range(len(b) - 2):
                run = b[i:i + 3]
                if sum(_distinctive(x, release) for x in run) >= 2 and "\n".join(run) in runs:
                    found.append((rel, " / ".join(run)))
    assert found == []


# ---------------------------------------------------------------------------
# The stripped graders grade visible checks exactly as the full ones
# ---------------------------------------------------------------------------

GRADE_ALL = textwrap.dedent("""
    import contextlib, io, json, os, sys
    from pathlib import Path
    import nbformat, yaml
    from graders import pipeline
    from graders.core import Exercise
    import importlib

    repo = Path(sys.argv[1])
    names = sys.argv[2:]
    exercises = {}
    for n in names:
        for ex in vars(importlib.import_module(f"graders.{n}")).values():
            if isinstance(ex, Exercise):
                exercises.setdefault(ex.answer_name, []).append(ex)

    def answers(source):
        ns = {}
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(pipeline.strip_solution_markers(source), ns)
        except Exception:
            return {}
        return {k: v for k, v in ns.items() if k in exercises}

    tried = []
    for a in pipeline.assignments(repo):
        for nbp in sorted((repo / "solutions" / a).glob("*.ipynb")):
            cells = pipeline.answer_cells(nbformat.read(nbp, as_version=4))
            for gid, cell in cells.items():
                tried.append((f"{gid}:reference", answers(cell.source)))
        table = repo / "tests" / "submissions" / f"{a}.yaml"
        for name, spec in (yaml.safe_load(table.read_text()) or {}).items() if table.exists() else ():
            for gid, text in (spec.get("patches") or {}).items():
                if gid.startswith("before:") or "graders" in text or "sys" in text:
                    continue
                tried.append((f"{a}:{name}:{gid}", answers(text)))
    tried.append(("empty", {k: "" for k in exercises}))
    tried.append(("none", {k: None for k in exercises}))
    out = {}
    os.environ["NBGRADER_EXECUTION"] = "validate"
    for label, values in tried:
        for var, value in values.items():
            for ex in exercises[var]:
                try:
                    json.dumps(value)
                except TypeError:
                    continue
                points, results, _ = ex.grade(value)
                with contextlib.redirect_stdout(io.StringIO()) as buf:
                    score = float(ex(value))
                out[f"{ex.id} {label}"] = {
                    "points": points, "validate": score, "report": buf.getvalue(),
                    "cases": [[r.case.name, r.passed, r.awarded, r.messages] for r in results]}
    print(json.dumps(out))
""")


def _run(first: Path, script: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `script` in a fresh interpreter with `first` ahead of everything on sys.path."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", private.ENV)}
    base.update(env or {})
    base["PYTHONPATH"] = str(first)
    proc = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(first)!r})\n" + script,
                           *args], capture_output=True, text=True, cwd=first, env=base, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.slow
def test_student_graders_score_visible_checks_alike(student: Path) -> None:
    """Do the stripped graders give the same visible scores, reports and Validate values as the full ones?"""
    names = confidential.chapter_names(ROOT)
    full = json.loads(_run(ROOT, GRADE_ALL, str(ROOT), *names))
    mine = json.loads(_run(student, GRADE_ALL, str(ROOT), *names))
    assert len(full) > 150
    assert {k for k, v in full.items() if v["points"] > 0} and {k for k, v in full.items() if not v["points"]}
    assert mine == full


@pytest.mark.slow
def test_student_wheel_carries_no_hidden_case(student: Path, tmp_path: Path) -> None:
    """Does `pip wheel` of the student tree install graders without any hidden case (and with withheld.json)?"""
    import shutil

    src = tmp_path / "src"
    shutil.copytree(student, src)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                           str(src)], capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0 and "setuptools" in proc.stderr and "Could not" in proc.stderr:
        pytest.skip(f"no build backend available offline: {proc.stderr.strip().splitlines()[-1]}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("pod_course-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "graders/withheld.json" in names and "graders/ch2_recording.json" in names
        assert not any(n.startswith(("solutions/", "tests/")) for n in names)
        for n in sorted(names):
            if n.startswith("graders/") and n.endswith(".py"):
                text = zf.read(n).decode()
                assert (zf.read(n) == (student / n).read_bytes()), n
                assert not any(confidential._is_case(node) and (kw := confidential._hidden_kw(node)) is not None
                               and not (isinstance(kw.value, ast.Constant) and kw.value.value is False)
                               for node in ast.walk(ast.parse(text))), n


def test_student_release_refuses_a_full_folder(tmp_path: Path) -> None:
    """Does `student-release` refuse to write over a folder that holds something, unless forced?"""
    (tmp_path / "keep.txt").write_text("mine")
    assert confidential.main(tmp_path) == 2
    assert (tmp_path / "keep.txt").exists()


# ---------------------------------------------------------------------------
# The stripper on small modules
# ---------------------------------------------------------------------------

STRIP_CASES = [
    ("a literal hidden case and its test",
     """
     from graders.core import Case, Exercise
     def _a(x): return True
     def _b(x): return _helper(x)
     def _helper(x): return False
     ex = Exercise("m.ex", "Ex", "A", [Case("shown", 1, _a), Case("secret check", 1, _b, hidden=True)])
     """, ["shown"], ["secret check", "_b", "_helper"]),
    ("a table of rows, two visible",
     """
     from graders.core import Case, Exercise
     ROWS = {"A": "alpha", "B": "beta", "C": "gamma-secret"}
     WHY = {"A": "a why", "B": "b why", "C": "c why secret"}
     def _row(k): return lambda a: ROWS[k] == WHY[k]
     ex = Exercise("m.t", "T", "T", [Case(f"row {k}", 1, _row(k), hidden=k not in ("A", "B")) for k in ROWS])
     """, ["alpha", "beta", "b why"], ["gamma-secret", "c why secret"]),
    ("a tuple table of (name, hidden) rows",
     """
     from graders.core import Case, Exercise
     def _x(a): return True
     def _y(a): return _only_hidden(a)
     def _only_hidden(a): return False
     EARLIER = (("kept row", _x, False), ("withheld row", _y, True))
     ex = Exercise("m.e", "E", "E", [Case(n, 1, t, hidden=h) for n, t, h in EARLIER])
     """, ["kept row"], ["withheld row", "_only_hidden"]),
    ("two cases per row",
     """
     from graders.core import Case, Exercise
     ROWS = {"A": 1, "B": 2, "Z": 26}
     ex = Exercise("m.p", "P", "P", [c for k in ROWS for c in (
         Case(f"{k} one", 1, lambda a: True, hidden=k != "A"), Case(f"{k} two", 1, lambda a: True, hidden=k != "A"))])
     """, ["'A': 1"], ["'Z': 26", "'B': 2"]),
]


@pytest.mark.parametrize(("what", "source", "kept", "gone"), STRIP_CASES, ids=[c[0] for c in STRIP_CASES])
def test_strip_source(what: str, source: str, kept: list[str], gone: list[str]) -> None:
    """Does the stripper remove the hidden cases, their table rows and their now-dead helpers, and keep the rest?"""
    source = textwrap.dedent(source)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<m>", "exec"), namespace)
    out = confidential.strip_source(source, namespace).source
    for text in kept:
        assert text in out
    for text in gone:
        assert text not in out
    stripped: dict[str, Any] = {}
    exec(compile(out, "<stripped>", "exec"), stripped)
    full_ex = next(v for v in namespace.values() if isinstance(v, Exercise))
    ex = next(v for v in stripped.values() if isinstance(v, Exercise))
    assert [c.name for c in ex.cases] == [c.name for c in full_ex.cases if not c.hidden]


def test_strip_refuses_what_it_cannot_decide() -> None:
    """Does the stripper stop, rather than ship, a hidden case it cannot take out (one bound to a name)?"""
    source = textwrap.dedent("""
        from graders.core import Case
        SECRET = Case("secret", 1, lambda a: True, hidden=True)
        CASES = [SECRET]
    """)
    with pytest.raises(confidential.StripError):
        confidential.strip_source(source, {})


# ---------------------------------------------------------------------------
# The private overlay
# ---------------------------------------------------------------------------


OVERLAY = """
from graders import core
from graders.core import Case

def _named_web(answer):
    return core.containers(core.pod(answer))[0].get("name") == "web" or "name the container web"

HIDDEN = {"ch1.first_pod": [Case("the container is called web (private)", 2, _named_web)]}
"""


def _overlay(tmp_path: Path, text: str = OVERLAY, name: str = "ch1.py") -> Path:
    (tmp_path / "hidden").mkdir(parents=True, exist_ok=True)
    (tmp_path / "hidden" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_overlay_adds_hidden_points_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does an overlay case change the hidden score and leave the visible self-check as it was?"""
    visible_before, _, _ = ch1.first_pod.grade(HELLO)
    hidden_before, _, _ = ch1.first_pod.grade(HELLO, hidden=True)
    monkeypatch.setenv(private.ENV, str(_overlay(tmp_path)))
    visible, vis_results, _ = ch1.first_pod.grade(HELLO)
    hidden, results, _ = ch1.first_pod.grade(HELLO, hidden=True)
    wrong, _, _ = ch1.first_pod.grade(HELLO.replace("- name: web", "- name: nginx"), hidden=True)
    assert visible == visible_before and "(private)" not in " ".join(r.case.name for r in vis_results)
    assert hidden == hidden_before + 2
    assert results[-1].case.name == "the container is called web (private)" and results[-1].case.hidden
    assert ch1.first_pod.max_points == 8 and ch1.first_pod.hidden_count() == (4, 5)
    assert wrong < hidden
    private.check_ids()  # ch1.first_pod exists


BROKEN = [
    ("not a folder", None, "is not a folder"),
    ("syntax error", "HIDDEN = {\n", "could not be imported: SyntaxError"),
    ("import error", "import no_such_module_here\nHIDDEN = {}\n", "ModuleNotFoundError"),
    ("no HIDDEN", "CASES = []\n", "defines no HIDDEN"),
    ("not a Case", "HIDDEN = {'ch1.first_pod': ['check it']}\n", "holds str, not a Case"),
    ("unknown exercise", "from graders.core import Case\nHIDDEN = {'ch1.frist_pod': [Case('x', 1, bool)]}\n",
     "no exercise 'ch1.frist_pod' (exercises of ch1: ch1.docker_run, ch1.first_pod"),
    ("a live exercise", "from graders.core import Case\nHIDDEN = {'ch8.guaranteed_live': [Case('x', 1, bool)]}\n",
     "ch8.guaranteed_live is a live check"),
]


@pytest.mark.parametrize(("what", "text", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_overlay_says_what_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str,
                                         text: str | None, message: str) -> None:
    """Does a broken overlay stop with one message naming the problem and the way out, never a traceback?"""
    target = tmp_path / "missing" if text is None else _overlay(tmp_path, text)
    monkeypatch.setenv(private.ENV, str(target))
    with pytest.raises(private.OverlayError) as info:
        private.check_ids()
    assert message in str(info.value) and f"unset {private.ENV}" in str(info.value)
    assert ch8  # the live exercise's chapter is imported


def test_broken_overlay_stops_grade_with_its_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does `pod-course grade` refuse to start (GradeError, exit 2) on a broken overlay?"""
    from course.grading import grade

    monkeypatch.setenv(private.ENV, str(_overlay(tmp_path, "HIDDEN = [\n")))
    with pytest.raises(grade.GradeError, match="could not be imported: SyntaxError"):
        grade.grade("ch1", course_root=tmp_path, progress=False, workers="fork")


def test_broken_overlay_stops_nbgrader_without_traceback(tmp_path: Path) -> None:
    """Does loading the course's nbgrader glue with a broken overlay print one line and exit, not a traceback?"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env[private.ENV] = str(_overlay(tmp_path, "HIDDEN = 3\n"))
    proc = subprocess.run([sys.executable, "-c", "import graders.nbgrader_ext"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("pod-course: ") and "defines no HIDDEN" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_overlay_as_installed_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Can PODCOURSE_PRIVATE name an importable package laid out like the folder?"""
    _overlay(tmp_path / "my_private_course")
    (tmp_path / "my_private_course" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(private.ENV, "my_private_course")
    assert [c.name for c in private.hidden_cases("ch1.first_pod")] == ["the container is called web (private)"]


def test_overlay_solutions_replace_the_repository_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Do the overlay's solutions become the course's source (release, grade, feedback) when it has them?"""
    assert private.solutions_dir(ROOT) == ROOT / "solutions"
    (tmp_path / "solutions" / "ch1").mkdir(parents=True)
    monkeypatch.setenv(private.ENV, str(tmp_path))
    assert private.solutions_dir(ROOT) == tmp_path / "solutions"
    assert pipeline.assignments(ROOT) == ["ch1"]


def _jail(tmp_path: Path) -> sandbox.Jail:
    return sandbox.Jail(tmp_path / "files", tmp_path / "k", hide=sandbox.hidden_paths())


def test_kernel_jail_never_names_the_overlay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does a sandboxed kernel start with PODCOURSE_PRIVATE unset and with no path of the overlay bound in?"""
    overlay = _overlay(tmp_path / "private")
    monkeypatch.setenv(private.ENV, str(overlay))
    cmd = sandbox.kernel_command(["python", "-m", "ipykernel_launcher"], _jail(tmp_path), tmp_path / "nb")
    assert cmd[cmd.index(private.ENV) - 1] == "--unsetenv"
    assert str(overlay) not in " ".join(cmd)


def test_overlay_inside_a_bound_folder_is_covered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Is an overlay that lies inside a folder the kernel needs (a package in the venv) covered by an empty
    tmpfs in the kernel's sandbox?"""
    venv = tmp_path / "venv"
    overlay = _overlay(venv / "site-packages" / "course_private")
    monkeypatch.setattr(sandbox, "_code_dirs", lambda: [venv])
    monkeypatch.setenv(private.ENV, str(overlay))
    cmd = sandbox.kernel_command(["python"], _jail(tmp_path), None)
    i = cmd.index(str(overlay.resolve()))
    assert cmd[i - 1] == "--tmpfs" and cmd.index(str(venv)) < i  # mounted over the venv's read-only bind


def test_withheld_counts_keep_validate_and_the_announcement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With its hidden cases withheld, does an exercise still announce them and scale Validate to full points?"""
    from graders import core

    ex = Exercise("t.ex", "T", "T", [Case("shown", 1, lambda a: True)])
    monkeypatch.setattr(core, "_withheld", lambda: {"t.ex": (3, 4.0)})
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert ex.max_points == 5 and ex.visible_points == 1
    assert float(ex("anything")) == 5
    report = ex.report(ex.grade("anything")[1], hidden=False)
    assert report.endswith("... and 3 more check(s) worth 4 point(s) run when your notebook is graded.")


# ---------------------------------------------------------------------------
# End to end: `pod-course grade` in the sandbox with a private overlay
# ---------------------------------------------------------------------------

MARKER = "PRIVATE-MARKER-7f3a"
THIEF = f'''
import os, pathlib, re
SECRET = {MARKER[:8]!r} + {MARKER[8:]!r}  # never written whole in this notebook
found = []
def look(p):
    try:
        if SECRET in pathlib.Path(p).read_text(errors="ignore"):
            found.append(str(p))
    except Exception:
        pass
for p in [os.environ.get("PODCOURSE_PRIVATE", ""), HOST_COPY]:
    for q in pathlib.Path(p).rglob("*.py") if p and pathlib.Path(p).is_dir() else []:
        look(q)
for base in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents, pathlib.Path("/tmp")]:
    for q in list(base.glob(".job/**/*.py")) + list(base.glob("*/hidden/*.py")):
        look(q)
for pid in [int(d) for d in os.listdir("/proc") if d.isdigit() and int(d) != os.getpid()]:
    try:
        maps = open(f"/proc/{{pid}}/maps").read().splitlines()
        with open(f"/proc/{{pid}}/mem", "rb") as mem:
            for line in maps:
                lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
                if "r" not in line.split()[1] or hi - lo > 2**28:
                    continue
                try:
                    mem.seek(lo)
                    if SECRET.encode() in mem.read(hi - lo):
                        found.append(f"memory of {{pid}}")
                        break
                except OSError:
                    continue
    except OSError:
        continue
print("LEAKED" if found else "NOTHING FOUND", found, "env:", os.environ.get("PODCOURSE_PRIVATE"))
'''


@pytest.mark.slow
def test_sandboxed_grade_uses_the_overlay_the_kernel_cannot_read(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Graded in the sandbox with an overlay, does the hidden score count its case while the learner's kernel
    finds the overlay neither on disk, nor in the environment, nor in the worker's memory?"""
    import io
    import shutil

    from course.grading import grade as g

    if sandbox.probe() is not None:
        pytest.skip(sandbox.probe())
    sys.path.insert(0, str(ROOT / "tools"))
    import sample_class

    overlay = _overlay(tmp_path / "private", OVERLAY.replace("(private)", f"(private, {MARKER})"))
    shutil.copytree(ROOT / "solutions" / "ch1", overlay / "solutions" / "ch1",
                    ignore=shutil.ignore_patterns("*.answer.yaml", ".ipynb_checkpoints"))
    (nb_path,) = (overlay / "solutions" / "ch1").glob("*.ipynb")
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if "ch1.first_pod(FIRST_POD, hidden=True)" in c.source)
    cell.metadata["nbgrader"]["points"] = float(cell.metadata["nbgrader"]["points"]) + 2
    gid = cell.metadata["nbgrader"]["grade_id"]
    nbformat.write(nb, nb_path)
    for k, v in {"PODCOURSE_LIVE": "off", "PODCOURSE_LIVE_SKIPPED": "zero", "KUBECONFIG": os.devnull}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("PODCOURSE_GRADE_WORKERS", raising=False)
    monkeypatch.setenv(private.ENV, str(overlay))
    course = sample_class.make_course(tmp_path / "course", "ch1")
    sample_class.honest(course, "ch1", "reference", "reference")
    ((rel, sol),) = sample_class._pairs(course, "ch1")
    first = next(iter(pipeline.answer_cells(nbformat.read(rel, as_version=4))))
    code = f"HOST_COPY = {str(overlay)!r}\n{THIEF}"
    thief = pipeline.build_submission(rel, sol, base="solution", patches={f"before:{first}": code})
    pipeline.submit(course, "thief", "ch1", {rel.stem: thief})
    summary = g.grade("ch1", course_root=course, jobs=2, live="off", timeout=300, out=io.StringIO())
    assert summary.isolation == "sandbox"
    scores = pipeline.scores(course, "ch1")
    for student in ("reference", "thief"):
        assert scores[student].cells[gid].score == scores[student].cells[gid].max_score == 8, student
    (graded,) = (course / ".nbgrader" / "autograded" / "thief" / "ch1").glob("*.ipynb")
    outputs = "\n".join(str(o.get("text", "")) for c in nbformat.read(graded, as_version=4).cells
                        for o in c.get("outputs", []))
    mine = next(c for c in nbformat.read(graded, as_version=4).cells if "HOST_COPY" in c.source)
    assert "NOTHING FOUND [] env: None" in outputs, mine.get("outputs")
    assert f"(private, {MARKER})" in outputs  # the trusted re-grade's report names the private case
    wrong = THIEF  # the same batch, graded again with a cell worth too few points, is refused up front
    del wrong
    cell.metadata["nbgrader"]["points"] = float(cell.metadata["nbgrader"]["points"]) - 2
    nbformat.write(nb, nb_path)
    with pytest.raises(g.GradeError, match=f"test cell {gid} is worth 6 points"):
        g.grade("ch1", course_root=course, jobs=1, live="off", out=io.StringIO(), force=True)


def test_student_build_refuses_to_grade(student: Path) -> None:
    """Does a student build of the graders refuse to grade a class (it would under-grade every hidden cell)?"""
    script = textwrap.dedent("""
        from pathlib import Path
        from course.grading import grade as g
        from graders.core import student_build
        try:
            g.grade("ch1", course_root=Path("."), workers="fork", progress=False)
        except g.GradeError as exc:
            print(student_build(), exc)
    """)
    assert _run(student, script).startswith("True these graders are a student build")
    from graders.core import student_build

    assert not student_build()


@pytest.mark.slow
def test_student_release_from_private_solutions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With an overlay, are the student notebooks generated from its solutions (no answer in them), and are its
    hidden cases counted, not named, in the student graders?"""
    import shutil

    overlay = _overlay(tmp_path / "private")
    shutil.copytree(ROOT / "solutions" / "ch1", overlay / "solutions" / "ch1",
                    ignore=shutil.ignore_patterns("*.answer.yaml", ".ipynb_checkpoints"))
    (nb_path,) = (overlay / "solutions" / "ch1").glob("*.ipynb")
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# This term's edition PRIV-TITLE-91"))
    answer = next(c for c in nb.cells if "### BEGIN SOLUTION" in c.source)
    answer.source = answer.source.replace("### BEGIN SOLUTION\n", "### BEGIN SOLUTION\n# private answer PRIV-SOL-42\n")
    nbformat.write(nb, nb_path)
    monkeypatch.setenv(private.ENV, str(overlay))
    out = tmp_path / "student"
    assert confidential.main(out) == 0
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == ["ch1"]
    text = "\n".join(t for t in _texts(out).values())
    assert "PRIV-TITLE-91" in text and "PRIV-SOL-42" not in text and "(private)" not in text
    withheld = json.loads((out / "graders" / "withheld.json").read_text())
    n, pts = (sum(c.hidden for c in ch1.first_pod.cases), sum(c.points for c in ch1.first_pod.cases if c.hidden))
    assert withheld["ch1.first_pod"] == [n + 1, pts + 2]
