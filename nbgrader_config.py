"""nbgrader configuration for pod-course.

One source of truth: `solutions/<assignment>/*.ipynb` hold the answers and
hidden tests; `notebooks/<assignment>/` is the student release generated from
them (`make notebooks`). Everything nbgrader writes at run time (gradebook,
exchange, submitted/autograded/feedback) stays under the git-ignored
`.nbgrader/` directory, so a checkout is never dirtied by grading.
"""

import os
import sys
import warnings
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import Autograde
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, OverwriteCells

from graders import private
from graders.nbgrader_ext import AUTOGRADE_PREPROCESSORS, STDERR_NOISE
from graders.overwrite import QuietOverwriteCells

ROOT = Path(__file__).resolve().parent

# nbgrader runs `alembic` as a program when it creates or upgrades the gradebook. Called as
# `.venv/bin/nbgrader ...` without the virtualenv activated, that program is not on PATH and
# the first command fails half-way, leaving a gradebook without its schema version. The
# interpreter running nbgrader knows where its own scripts are.
_SCRIPTS = str(Path(sys.executable).parent)
if _SCRIPTS not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([_SCRIPTS, os.environ.get("PATH", "")])
STATE = ROOT / ".nbgrader"
STATE.mkdir(exist_ok=True)

c = get_config()  # noqa: F821 - injected by traitlets when the file is loaded

c.CourseDirectory.course_id = "pod-course"
c.CourseDirectory.root = str(ROOT)
# The instructor's private overlay (PODCOURSE_PRIVATE, graders/private.py) may bring its own solutions.
_SOURCE = private.solutions_dir(ROOT)
c.CourseDirectory.source_directory = "solutions" if _SOURCE == ROOT / "solutions" else str(_SOURCE)
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = ".nbgrader/submitted"
c.CourseDirectory.autograded_directory = ".nbgrader/autograded"
c.CourseDirectory.feedback_directory = ".nbgrader/feedback"
c.CourseDirectory.solution_directory = ".nbgrader/source_with_solutions"
c.CourseDirectory.db_url = f"sqlite:///{STATE / 'gradebook.db'}"
c.Exchange.root = str(STATE / "exchange")
# Never copy notebook checkpoints or caches into a release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

# Answers are YAML strings and dicts: the released placeholder must leave them
# empty (graded "not answered yet"), not inject Python into the YAML.
c.ClearSolutions.code_stub = {"python": "# YOUR ANSWER HERE"}

# A cell that hangs is a wrong answer, not a stuck grading run.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# nbgrader zeroes a test cell that writes anything to stderr; strip the harmless
# noise (deprecation/user warnings from libraries, ipykernel chatter) first.
c.IgnorePattern.pattern = STDERR_NOISE
c.IgnorePattern.enabled = True

# Pod-editor answers (`<name>.answer.yaml`) travel with each submission. One left in
# solutions/ (an instructor ran the editor there) would otherwise be copied over every
# student's own answer at autograde time; `make notebooks` and `make demo` leave them out,
# and tests/test_nbgrader_pipeline.py fails while one exists.
_stray = sorted(_SOURCE.glob("*/*.answer.yaml"))
if _stray:
    sys.stderr.write("pod-course: delete editor answer files from the solutions: "
                     + ", ".join(str(p.relative_to(ROOT) if ROOT in p.parents else p) for p in _stray) + "\n")
    c.Autograde.exclude_overwriting = {
        a: [p.name for p in _stray if p.parent.name == a] for a in {p.parent.name for p in _stray}
    }

# Grade cells are re-graded outside the learner's kernel (see graders.nbgrader_ext),
# so nothing a submission redefines in its own cells can change its score.
c.Autograde.autograde_preprocessors = AUTOGRADE_PREPROCESSORS

# Feedback shows results and messages, never the hidden test code.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
c.ClearHiddenTests.enforce_metadata = False

# Validate (the learner's button) runs the same visible tests the learner sees.
c.Validator.validate_all = False

# Quiet logs: nbgrader's OverwriteCells warns "checksum ... has changed!" for every test cell
# with hidden tests, untouched ones included (generate_assignment saves the checksum before it
# clears them); graders.overwrite keeps the warning for real changes only. nbgrader 0.9's own
# gradebook code trips SQLAlchemy's autoflush SAWarning on every submission; it is harmless.
c.Autograde.sanitize_preprocessors = [
    QuietOverwriteCells if p is OverwriteCells else p
    for p in Autograde.class_traits()["sanitize_preprocessors"].default()
]
warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session")
