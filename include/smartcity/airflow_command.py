"""The `airflow` command as `smartcity run` starts it for `airflow dags test`: Airflow's own CLI, without
Python's last garbage collection when the process exits.

`airflow dags test` runs every task of the DAG in this one process, and the tasks leave millions of objects
behind (dbt's manifest, Great Expectations, pandas frames). At exit CPython walks all of them once more in
search of reference cycles: about 3 s at national scale, after the run has finished and before
`smartcity run` can say so. Freezing the collector at exit skips that walk (the operating system takes the
memory back). Nothing the pipeline writes waits for it: each step closes or commits every file and database
it writes, the events file is closed after each line, standard output is flushed by the interpreter, and
logging's own exit handler still runs after this one.
"""

from __future__ import annotations

import atexit
import gc
import sys


def main() -> int | None:
    from airflow.__main__ import main as airflow_main  # imported first: its exit handlers run after ours

    atexit.register(gc.freeze)  # registered last, so it runs first among the exit handlers
    sys.argv[0] = "airflow"  # what Airflow's own messages name the command
    return airflow_main()


if __name__ == "__main__":
    sys.exit(main())
