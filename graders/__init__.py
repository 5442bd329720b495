"""Autograders for the pod-course notebooks.

Each chapter module (`graders.ch1`, ...) defines `Exercise` objects; a test
cell calls one with the learner's answer and its value is the score. See
docs/authoring.md for how to add chapters, exercises and hidden cases.
"""

from graders.answers import Answer, load_answer
from graders.core import Case, Exercise, Fail, Score, finding_text, run

__all__ = ["Answer", "Case", "Exercise", "Fail", "Score", "finding_text", "load_answer", "run"]
