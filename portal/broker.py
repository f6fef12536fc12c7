"""The embedded broker (no server): kombu's filesystem transport, made safe for a worker
that reads while web, beat and worker write.

kombu writes a message by creating `<time>_<uuid>.<queue>.msg` and then filling it; a worker
polling the folder in between moves and reads an empty file, fails to decode it and stops
with "Unrecoverable error" (seen in `make demo` within a minute of beat sending every
second). Here a message is written under a name the reader ignores and renamed into place
when complete, and a file that still cannot be decoded is logged and skipped, never fatal.
(Mail is not lost either way: the outbox sweep re-queues whatever was not delivered.)
"""

from __future__ import annotations

import logging
import os
import uuid
from time import monotonic
from typing import Any

from kombu.transport import filesystem
from kombu.utils.json import dumps

log = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # The reader takes only names whose part after the first '.' is "<queue>.msg".
        partial = os.path.join(self.data_folder_out, f"partial-{uuid.uuid4()}.tmp")
        try:
            with open(partial, "wb") as handle:
                handle.write(dumps(payload).encode())
            os.replace(partial, final)  # atomic: readers see all of it or nothing
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: str) -> Any:
        try:
            return super()._get(queue)
        except ValueError as exc:  # JSON of a damaged file: skip it, keep the worker alive
            log.error("broker: skipped an unreadable message in queue %s: %s", queue, exc)
            raise filesystem.Empty() from exc


class Transport(filesystem.Transport):
    Channel = Channel
