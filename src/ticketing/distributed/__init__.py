"""The distributed topology as local processes: the relay, four services, panel and gateway.

`python -m ticketing.distributed` (what `make run-distributed` runs, through
deploy/local/run-distributed.sh) and the distributed end-to-end test start the same processes
with the same environment, from `Topology`:

- the event store is a SQLite file that the tickets service writes and the relay reads (no
  KurrentDB runs here; TICKETING_EVENT_STORE_URL takes a `kurrentdb://` URL where one does);
- the relay ships events to Kafka; the query, attachments and notifications services consume
  them in their own consumer groups;
- the read model lives in MongoDB (FerretDB here), attachments' bytes in S3 (MinIO here);
- tickets and query ask the attachments service over HTTP, with a shared internal token;
- the gateway is the one public URL.

Each process logs to `<run dir>/logs/<name>.log` and keeps its files in `<run dir>/<name>/`.
The supervisor binds every process's listening socket before starting any and hands it over by
descriptor inheritance (listeners.py), so no port can be taken between a pick and a bind.
Processes run in sessions of their own, so a Ctrl-C reaches only the supervisor, which stops
them by pid (SIGTERM, then SIGKILL after a grace period), the gateway first.
"""

from .supervisor import StartFailed, Supervisor, started
from .topology import Engines, Process, Topology

__all__ = ["Engines", "Process", "StartFailed", "Supervisor", "Topology", "started"]
