"""`pod-course grade`: a class of submissions autograded in parallel over nbgrader's own API.

`grade` (the orchestration: what to grade, workers, progress, summary), `worker` (one
submission in one process, into a private gradebook) and `gradebook` (snapshot, merge and
comparison of nbgrader gradebooks). Grades out: `feedback` (per-student feedback HTML),
`export` (CSV, Canvas and Moodle grade import files) and `stats` (class statistics).
"""
