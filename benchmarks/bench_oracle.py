"""The static check beside the API server's dry-run, per document, in the same run.

Every case of the oracle (corpus, registry examples, mutations; tools/oracle.py) is checked by
`course.checker` and sent once to the course cluster's API server as a server-side dry-run
(`dryRun=All`, one request, one at a time), and the per-document medians and means of both are
printed with their ratio. Needs a running course cluster (`make cluster-up`); without one it says
so and exits 0. Run with `make bench`; the figures go into the closing notes.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools import oracle  # noqa: E402

SHARED = Path(os.environ.get("POD_COURSE_SHARED", REPO.parent / "shared"))


def main() -> int:
    from course.cluster.client import connect, reachable
    from course.cluster.errors import ClusterError

    try:
        api = connect()
        why = reachable(api)
    except ClusterError as exc:
        why = exc.message
    if why is not None:
        print(f"bench_oracle: no course cluster ({why}); start one with `make cluster-up`")
        return 0
    cases = oracle.all_cases(SHARED if SHARED.is_dir() else None)
    static, server = [], []
    with oracle.Server(api) as srv:
        for case in cases[:50]:  # warm both paths
            oracle.check(case.doc)
            srv._post(case.doc, "privileged")
        for case in cases:
            t = time.perf_counter()
            oracle.check(case.doc)
            static.append(time.perf_counter() - t)
            if case.doc.get("apiVersion") in oracle._api_versions(case.doc.get("kind")):
                t = time.perf_counter()
                srv._post(case.doc, "privileged")
                server.append(time.perf_counter() - t)
    ms = 1000.0
    print(f"{len(cases)} documents ({len(server)} sent to the API server), one at a time")
    print(f"{'':28}{'median':>10}{'mean':>10}{'total':>10}")
    print(f"{'static check (ms/doc)':28}{statistics.median(static) * ms:10.2f}{statistics.fmean(static) * ms:10.2f}"
          f"{sum(static):9.1f}s")
    print(f"{'server dry-run (ms/doc)':28}{statistics.median(server) * ms:10.2f}{statistics.fmean(server) * ms:10.2f}"
          f"{sum(server):9.1f}s")
    print(f"server / static, medians: {statistics.median(server) / statistics.median(static):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
