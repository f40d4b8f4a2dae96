"""Getting a Dask client: a LocalCluster on this machine, or an existing cluster by address.

Workers are processes with one task thread each: the analysis is CPU-bound Python + LiteRT,
so threads inside one process would fight over the GIL, and a crashing video decoder takes down
only its own process (the nanny restarts it and the scheduler re-runs the task elsewhere).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from distributed import Client, LocalCluster

from mescreen.batch.errors import BatchError
from mescreen.core.runtime import VERBOSE_ENV

#: Seconds to wait for an explicit scheduler to answer, and for at least one of its workers.
CONNECT_TIMEOUT_S = 20


def default_workers() -> int:
    """One single-threaded worker per CPU core (each holds its own models, about 1 GB)."""
    return max(1, os.cpu_count() or 1)


def worker_env(n_workers: int, db_url: str) -> dict[str, str]:
    """Environment of local worker processes: the client's store, the cores shared out so that n
    workers' numerical libraries do not each start one thread per core (the networks run on one
    LiteRT thread each), and the client's `--verbose` choice (mescreen.core.runtime)."""
    threads = str(max(1, (os.cpu_count() or 1) // n_workers))
    return {"MESCREEN_DB_URL": db_url, "OMP_NUM_THREADS": threads, VERBOSE_ENV: os.environ.get(VERBOSE_ENV, "")}


@contextmanager
def dask_client(scheduler: str | None, n_workers: int | None, db_url: str) -> Iterator[Client]:
    """A connected client; a local cluster started here is shut down on exit."""
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            try:
                client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
            except TimeoutError:
                raise BatchError(f"the Dask scheduler at {scheduler} has no workers: start some with "
                                 f"`dask worker {scheduler}`") from None
            yield client
        finally:
            client.close()
        return
    n = n_workers or default_workers()
    # ":0": the scheduler's HTTP endpoint (and dashboard, when bokeh is installed) on a free port;
    # the default 8787 collides with any other cluster on the machine.
    with LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=logging.ERROR, env=worker_env(n, db_url),
    ) as cluster, Client(cluster) as client:
        yield client


def remote_worker_hosts(client: Client) -> list[str]:
    """Hosts of workers that are not on this machine (SQLite must not be shared across machines)."""
    local = {"127.0.0.1", "localhost", "::1", socket.gethostname()}
    try:
        local.update(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    hosts = {urlsplit(address).hostname or "" for address in client.scheduler_info()["workers"]}
    return sorted(h for h in hosts if h not in local)
