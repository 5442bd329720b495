"""`python -m course.sandbox` re-records the lab's observations from a live run."""

import sys

from course.sandbox.recorded import main

sys.exit(main())
