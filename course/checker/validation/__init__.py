"""API-server validation stage: the checks `ValidatePodCreate`/`ValidatePodSpec` make on a pod spec.

`check_pod(pod)` yields one finding per error the API server would return for the
defaulted spec, at the server's own field path and quoting its own error phrase.
"""

from __future__ import annotations

from course.checker.validation import rules as rules
from course.checker.validation._check import check_pod

__all__ = ["check_pod", "rules"]
