"""Serving the drill: a waitress server bound to an address, the Guard told its port.

``start`` binds the socket (so the URL, with the port the system chose for port 0, is
known before serving) and returns a ``Running`` server; ``run`` serves until stopped
(``close`` from another thread, or Ctrl-C). The command (handcalc.commands.serve), the
browser tests and the benchmark use the same server.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from typing import Any

from handcalc.web.app import LOOPBACK, Guard, make_app
from handcalc.web.session import Sessions

THREADS = 2


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@dataclass
class Running:
    server: Any  # waitress's server
    host: str
    port: int

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "::") else url_host(self.host)
        return f"http://{shown}:{self.port}/"

    def run(self) -> None:
        self.server.run()

    def close(self) -> None:
        self.server.close()

    def in_thread(self) -> threading.Thread:
        """Serve in a daemon thread (tests, benchmarks); ``close`` stops it."""
        thread = threading.Thread(target=self.run, name="handcalc-serve", daemon=True)
        thread.start()
        return thread


def start(sessions: Sessions, host: str = "127.0.0.1", port: int = 0) -> Running:
    """Bind `host`:`port` and make the app; OSError when the address cannot be bound."""
    import logging

    from waitress.server import create_server

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is 1"

    loopback = is_loopback(host)
    names = set(LOOPBACK) | {url_host(host).lower()}
    guard = Guard(names, port, any_ip=not loopback)
    app = make_app(sessions, guard)
    server = create_server(app, host=host, port=port, threads=THREADS,
                           ident="handcalc", clear_untrusted_proxy_headers=True)
    guard.port = int(server.effective_port)  # waitress gives it as a string
    return Running(server, host, guard.port)
