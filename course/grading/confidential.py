"""The student build: the course as learners get it, with no solution and no hidden case in it.

`pod-course student-release OUT` writes a tree a class can be handed (a git repository, a Binder, a
wheel): `course/`, `graders/` with every hidden `Case` taken out, `notebooks/` (the release), `binder/`,
the README, `pyproject.toml`, `Makefile` and `nbgrader_config.py`. It has no `solutions/`, no `tests/` (their
submission tables hold reference answers), no instructor docs and no git history. The grading host
keeps the full repository (and the private overlay, `graders.private`); the learner's copy can run
every self-check and Validate, and nothing else.

The graders are stripped on their syntax tree, checked against the imported full modules:
`Case(..., hidden=True)` entries are dropped; a comprehension whose cases are hidden by a condition
(`hidden=letter not in ("A", "B")`) keeps only the rows that condition leaves visible, and the rows of
the module-level tables it reads for the hidden ones (their answers and explanations) are dropped too;
then every module-level function or constant that only the dropped code used goes, repeatedly. What
was withheld per exercise (count and points, no names) is written to `graders/withheld.json`, so the
self-check still announces "... and N more checks" and Validate still scales to the cell's points.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Files and folders of the repository that learners get, as they are.
COPIED = ("README.md", "pyproject.toml", "LICENSE", "Makefile", "nbgrader_config.py", ".gitignore",
          ".pre-commit-hooks.yaml", "binder", "course", "docs/instructor-live.md", "docs/oracle.md")
IGNORED = ("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.answer.yaml", "*.egg-info", ".pytest_cache")
HEADER = ("# Student build (`pod-course student-release`): the hidden checks of this module are withheld;\n"
          "# the grading host grades with the full graders.\n")


class StripError(Exception):
    """The graders hold a hidden case the stripper cannot take out safely; the build stops."""


@dataclass
class Stripped:
    source: str
    changed: bool
    removed: list[str] = field(default_factory=list)  # module-level names dropped as dead code


def _is_case(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "Case")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "Case"))


def _hidden_kw(node: ast.Call) -> ast.keyword | None:
    return next((k for k in node.keywords if k.arg == "hidden"), None)


def _always_hidden(node: ast.AST) -> bool:
    if not _is_case(node):
        return False
    kw = _hidden_kw(node)  # type: ignore[arg-type]
    return kw is not None and isinstance(kw.value, ast.Constant) and kw.value.value is True


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


class _Cases(ast.NodeTransformer):
    """Drop `Case(..., hidden=True)` from literals; filter comprehensions of conditionally hidden cases."""

    def __init__(self) -> None:
        self.dropped: list[ast.AST] = []
        self.filtered: list[tuple[ast.comprehension, ast.expr, ast.expr]] = []  # (generator, condition, element)

    def _literal(self, node: Any) -> Any:
        self.generic_visit(node)
        keep = []
        for elt in node.elts:
            if _always_hidden(elt):
                self.dropped.append(elt)
            else:
                keep.append(elt)
        node.elts = keep
        return node

    visit_List = visit_Tuple = visit_Set = _literal

    def _comprehension(self, node: Any) -> Any:
        """`[Case(.., hidden=E) for x in T]`, or `[c for x in T for c in (Case(.., hidden=E), ...)]`."""
        self.generic_visit(node)
        gens = node.generators
        if _is_case(node.elt):
            cases, gen = [node.elt], gens[-1]
        elif (isinstance(node.elt, ast.Name) and len(gens) >= 2 and isinstance(gens[-1].iter, (ast.Tuple, ast.List))
              and isinstance(gens[-1].target, ast.Name) and gens[-1].target.id == node.elt.id and not gens[-1].ifs
              and gens[-1].iter.elts and all(_is_case(e) for e in gens[-1].iter.elts)):
            cases, gen = gens[-1].iter.elts, gens[-2]
        else:
            return node
        kws = [_hidden_kw(c) for c in cases]
        if all(k is None or (isinstance(k.value, ast.Constant) and not k.value.value) for k in kws):
            return node
        if any(k is None for k in kws) or len({ast.dump(k.value) for k in kws if k}) != 1:
            raise StripError(f"line {node.lineno}: cases of one comprehension hidden by different conditions")
        condition = kws[0].value  # type: ignore[union-attr]
        if isinstance(condition, ast.Constant):
            raise StripError(f"line {node.lineno}: a comprehension of cases that are all hidden")
        for c, k in zip(cases, kws, strict=True):
            c.keywords.remove(k)
        element = cases[0] if len(cases) == 1 else gens[-1].iter
        self.filtered.append((gen, condition, element))
        gen.ifs.append(ast.UnaryOp(ast.Not(), condition))
        return node

    visit_ListComp = visit_GeneratorExp = visit_SetComp = _comprehension


def _module_literals(tree: ast.Module) -> dict[str, ast.expr]:
    """name -> the dict/list/tuple literal a module-level statement assigns to it."""
    out: dict[str, ast.expr] = {}
    for stmt in tree.body:
        target = value = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        if isinstance(target, ast.Name) and isinstance(value, (ast.Dict, ast.List, ast.Tuple)):
            out[target.id] = value
    return out


def _loads(tree: ast.AST, name: str) -> list[ast.Name]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]


def _only_subscripted_or_iterated(tree: ast.AST, name: str, iters: set[int]) -> bool:
    """Every use of `name` indexes it (`T[k]`) or is the iterable of one of our filtered comprehensions."""
    subscripted = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
    return all(id(n) in subscripted or id(n) in iters for n in _loads(tree, name))


def _evaluate(expr: ast.expr, namespace: Mapping[str, Any]) -> Any:
    code = compile(ast.fix_missing_locations(ast.Expression(expr)), "<strip>", "eval")
    return eval(code, dict(namespace))  # the module's own, already imported, namespace


def _prune_tables(tree: ast.Module, filtered: list[tuple[ast.comprehension, ast.expr, ast.expr]],
                  namespace: Mapping[str, Any]) -> list[ast.AST]:
    """Drop the rows of module-level tables that only hidden cases read; returns the dropped nodes."""
    literals = _module_literals(tree)
    iters = {id(gen.iter) for gen, _, _ in filtered}
    hidden_rows: dict[str, set[int]] = {}  # table -> positions hidden in every comprehension reading it
    hidden_keys: dict[str, set[Any]] = {}  # table indexed by the loop variable -> keys only hidden rows read
    visible_keys: dict[str, set[Any]] = {}
    for gen, condition, element in filtered:
        if not isinstance(gen.iter, ast.Name) or gen.iter.id not in literals or gen.ifs[:-1]:
            continue
        table = gen.iter.id
        key = ast.Name(gen.target.id, ast.Load()) if isinstance(gen.target, ast.Name) else ast.Constant(None)
        probe = ast.ListComp(elt=ast.Tuple([key, condition], ast.Load()),
                             generators=[ast.comprehension(gen.target, gen.iter, [], 0)])
        try:
            rows = _evaluate(probe, namespace)
        except Exception:
            continue
        flags = {i for i, (_, hidden) in enumerate(rows) if hidden}
        hidden_rows[table] = hidden_rows.get(table, flags) & flags
        if isinstance(gen.target, ast.Name):
            # Tables keyed like the rows: indexed by the loop variable here, or with exactly the rows' keys.
            var, row_keys = gen.target.id, {key for key, _ in rows}
            aligned = {sub.value.id for sub in ast.walk(element)
                       if isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name)
                       and sub.value.id in literals and isinstance(sub.slice, ast.Name) and sub.slice.id == var}
            aligned |= {name for name, node in literals.items() if name != table and isinstance(node, ast.Dict)
                        and all(isinstance(k, ast.Constant) for k in node.keys)
                        and {k.value for k in node.keys} == row_keys}  # type: ignore[union-attr]
            for name in aligned:
                for key, hidden in rows:
                    (hidden_keys if hidden else visible_keys).setdefault(name, set()).add(key)
    dropped: list[ast.AST] = []
    for table, positions in hidden_rows.items():
        if positions and _only_subscripted_or_iterated(tree, table, iters):
            dropped += _drop_rows(literals[table], positions, len(list(namespace[table])))
    for table, keys in hidden_keys.items():
        node = literals[table]
        keys = keys - visible_keys.get(table, set())
        if keys and isinstance(node, ast.Dict) and _only_subscripted_or_iterated(tree, table, set()):
            positions = {i for i, k in enumerate(node.keys) if isinstance(k, ast.Constant) and k.value in keys}
            dropped += _drop_rows(node, positions, len(node.keys))
    return dropped


def _drop_rows(node: ast.expr, positions: set[int], runtime_len: int) -> list[ast.AST]:
    if isinstance(node, ast.Dict):
        if None in node.keys or len(node.keys) != runtime_len:
            return []
        gone = [ast.Tuple([k, v], ast.Load()) for i, (k, v) in enumerate(zip(node.keys, node.values, strict=True))
                if i in positions]
        node.keys = [k for i, k in enumerate(node.keys) if i not in positions]
        node.values = [v for i, v in enumerate(node.values) if i not in positions]
        return list(gone)
    if isinstance(node, (ast.List, ast.Tuple)):
        if any(isinstance(e, ast.Starred) for e in node.elts) or len(node.elts) != runtime_len:
            return []
        gone = [e for i, e in enumerate(node.elts) if i in positions]
        node.elts = [e for i, e in enumerate(node.elts) if i not in positions]
        return gone
    return []


def _defined(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, ast.Assign):
        return {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    return set()


def _uses(stmt: ast.stmt) -> set[str]:
    """The names a module-level statement uses (a definition's own name, or a constant's target, is no use)."""
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        parts = [stmt.value] if stmt.value is not None else []
        if isinstance(stmt, ast.AnnAssign):
            parts.append(stmt.annotation)
        return set().union(*(_names(p) for p in parts)) if parts else set()
    return _names(stmt) - _defined(stmt)


def _drop_dead(tree: ast.Module, candidates: set[str], elsewhere: str) -> list[str]:
    """Remove module-level definitions only the dropped code used (not used here or in `elsewhere`), repeatedly."""
    removed: list[str] = []
    while True:
        gone = None
        for stmt in tree.body:
            own = _defined(stmt)
            if not own or not own <= candidates:
                continue
            used = set().union(*(_uses(other) for other in tree.body if other is not stmt))
            if own & used or any(re.search(rf"\b{re.escape(n)}\b", elsewhere) for n in own):
                continue
            gone = stmt
            break
        if gone is None:
            return removed
        tree.body.remove(gone)
        removed += sorted(_defined(gone))
        candidates |= _names(gone)


def strip_source(source: str, namespace: Mapping[str, Any], *, elsewhere: str = "") -> Stripped:
    """A chapter's graders without their hidden cases; `namespace` is the imported full module's."""
    tree = ast.parse(source)
    cases = _Cases()
    tree = cases.visit(tree)
    for node in ast.walk(tree):
        if _is_case(node):
            kw = _hidden_kw(node)  # type: ignore[arg-type]
            if kw is not None and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                raise StripError(f"line {node.lineno}: a hidden Case outside a list of cases or a comprehension "
                                 "the stripper understands; write it inline in the exercise's cases")
    if not cases.dropped and not cases.filtered:
        return Stripped(source, False)
    dropped = [*cases.dropped, *(cond for _, cond, _ in cases.filtered)]
    dropped += _prune_tables(tree, cases.filtered, namespace)
    candidates = set().union(*(_names(n) for n in dropped)) if dropped else set()
    removed = _drop_dead(tree, candidates, elsewhere)
    text = ast.unparse(ast.fix_missing_locations(tree))
    return Stripped(HEADER + text + "\n", True, removed)


def hidden_cases(modules: Iterable[Any]) -> dict[str, list[Any]]:
    """exercise id -> its hidden cases, from the full, imported chapter modules."""
    from graders.core import Exercise

    return {ex.id: [c for c in ex.cases if c.hidden] for m in modules for ex in vars(m).values()
            if isinstance(ex, Exercise) and any(c.hidden for c in ex.cases)}


def chapter_names(root: Path = ROOT) -> list[str]:
    return sorted(p.stem for p in (root / "graders").glob("ch*.py") if re.fullmatch(r"ch\d+\w*", p.stem))


def withheld_table(modules: Iterable[Any]) -> dict[str, list[float]]:
    """exercise id -> [count, points] of the hidden cases the build leaves out (the private overlay's included)."""
    from graders import private
    from graders.core import Exercise

    table: dict[str, list[float]] = {}
    overlay = private.current()
    for m in modules:
        for ex in vars(m).values():
            if not isinstance(ex, Exercise) or ex.id in table:
                continue
            cases = [c for c in ex.cases if c.hidden] + list(overlay.hidden.get(ex.id, ()) if overlay else ())
            if cases:
                table[ex.id] = [len(cases), sum(c.points for c in cases)]
    return table


def strip_graders(src: Path, dest: Path, *, elsewhere: str = "") -> dict[str, list[str]]:
    """Write `src` (a graders/ package) to `dest` with no hidden case; returns module -> dead code removed."""
    import graders

    here = Path(graders.__file__).resolve().parent
    if here != src.resolve():  # the syntax tree is checked against the imported modules: they must be these
        raise StripError(f"this pod-course imports its graders from {here}, not {src}: run that course's own "
                         f"`pod-course student-release` ({src.parent}/.venv/bin/pod-course)")
    dest.mkdir(parents=True, exist_ok=True)
    report: dict[str, list[str]] = {}
    sources = {p.stem: p.read_text(encoding="utf-8") for p in src.glob("*.py")}
    modules = []
    for path in sorted(src.iterdir()):
        if path.is_dir() or any(path.match(p) for p in IGNORED):
            continue
        if path.suffix != ".py" or not re.fullmatch(r"ch\d+\w*", path.stem):
            shutil.copy2(path, dest / path.name)
            continue
        module = importlib.import_module(f"graders.{path.stem}")
        modules.append(module)
        others = elsewhere + "\n".join(text for name, text in sources.items() if name != path.stem)
        stripped = strip_source(sources[path.stem], vars(module), elsewhere=others)
        (dest / path.name).write_text(stripped.source, encoding="utf-8")
        if stripped.changed:
            report[path.stem] = stripped.removed
    table = withheld_table(modules)
    rows = ",\n".join(f" {json.dumps(k)}: [{int(n)}, {p:g}]" for k, (n, p) in sorted(table.items()))
    (dest / "withheld.json").write_text("{\n" + rows + "\n}\n", encoding="utf-8")
    return report


def _copy(src: Path, dest: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*IGNORED), dirs_exist_ok=True)
    elif src.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)


def release_notebooks(dest: Path, root: Path = ROOT) -> None:
    """The student notebooks: the committed release, or one generated from the private overlay's solutions."""
    from graders import private

    overlay = private.current()
    if overlay is None or overlay.solutions is None:
        _copy(root / "notebooks", dest)
        return
    import tempfile

    from graders import pipeline

    with tempfile.TemporaryDirectory(prefix="pod-course-student-") as tmp:
        course = pipeline.temp_course(Path(tmp), root)
        for a in pipeline.assignments(root):
            _copy(pipeline.generate(course, a), dest / a)


STUDENT_NOTICE = """> **This is a class release of pod-course.** It holds the chapters (`notebooks/`), the checker
> and the visible self-checks, but no solutions, no hidden checks and no test suite: `make lab`
> runs the course; `make test`, `solutions/` and the instructor sections below belong to the full
> repository your instructor grades with.

"""


def student_release(out: Path, root: Path = ROOT, *, force: bool = False) -> dict[str, list[str]]:
    """Write the student build to `out`; returns, per stripped chapter, the dead code it removed."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty: choose a new folder, or pass --force to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        _copy(root / name, out / name)
    readme = out / "README.md"
    if readme.is_file():
        readme.write_text(STUDENT_NOTICE + readme.read_text(encoding="utf-8"), encoding="utf-8")
    notebooks = "\n".join(p.read_text(encoding="utf-8") for p in (root / "notebooks").rglob("*.ipynb"))
    course_code = "\n".join(p.read_text(encoding="utf-8") for p in (root / "course").rglob("*.py"))
    report = strip_graders(root / "graders", out / "graders", elsewhere=notebooks + course_code)
    release_notebooks(out / "notebooks", root)
    return report


def main(out: Path, *, course_root: Path | None = None, force: bool = False, stream: Any = None) -> int:
    """`pod-course student-release OUT`: 0 written, 2 it could not be (the reason on stderr)."""
    import sys

    from graders import private

    stream = stream or sys.stdout
    root = (course_root or ROOT).resolve()
    if not (root / "graders").is_dir() or not (private.solutions_dir(root)).is_dir():
        print(f"pod-course: {root} is not the full course repository (it needs graders/ and solutions/, or "
              f"{private.ENV} with solutions/); pass --course DIR", file=sys.stderr)
        return 2
    try:
        report = student_release(out, root, force=force)
    except (FileExistsError, StripError, private.OverlayError) as exc:
        print(f"pod-course: {exc}", file=sys.stderr)
        return 2
    table = json.loads((Path(out) / "graders" / "withheld.json").read_text(encoding="utf-8"))
    checks = sum(int(n) for n, _ in table.values())
    print(f"wrote {out}: {len(table)} exercises with {checks} hidden checks withheld "
          f"({len(report)} grader modules stripped); no solutions/, tests/ or instructor docs.", file=stream)
    print(f"  learners: a git repository or a Binder of {out}, or `pip wheel {out}`; grade with {root}.",
          file=stream)
    return 0
