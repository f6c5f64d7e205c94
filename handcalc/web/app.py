"""The drill's web application (Falcon, WSGI) and its server (waitress).

Routes: ``/`` the page, ``/static/...`` its script and style (package files), and a small
JSON API, every answer the session's whole state (handcalc.web.session)::

    GET  /api/words?lang=zh            the page's words, from the catalogues
    POST /api/session {lang}           a new session: {session, state}
    GET  /api/state?session=T&lang=zh  the state
    POST /api/answer {session, lang, cells}   grade the grid
    POST /api/skip | /api/next | /api/finish {session, lang}

Safety on a learner's machine (``Guard``): a request whose Host is not the server's own
address is refused (DNS rebinding), and so is a POST whose Origin is present and not the
server's own (another site's page); the session token travels in the body, never in a
cookie, so a foreign page has nothing to ride on. Every answer carries a Content Security
Policy that allows only the server's own script and style, so nothing injected could run.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

import falcon

from handcalc.errors import HandcalcError
from handcalc.text.messages import LANGS, catalogue, tr
from handcalc.views.practice import TRIES
from handcalc.web.session import Session, Sessions, page_error

MAX_BODY = 64 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
PAGE_WORDS = "web.ui."  # the ids of the page's own words (buttons, headings, help)
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "connect-src 'self'; img-src 'self'; font-src 'self'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def static_file(name: str) -> bytes:
    return resources.files("handcalc.web").joinpath("static", name).read_bytes()


class Guard:
    """Falcon middleware: refuse a foreign Host (any request) or Origin (state-changing
    requests); add the security headers to every answer.

    ``hosts`` are the host names the server answers to; ``port`` its port (set once the
    socket is bound). When the server listens beyond the loopback (``--host``), any IP
    literal is its own too: DNS rebinding needs a name, and a classroom opens the drill by
    the machine's address."""

    def __init__(self, hosts: Iterable[str] = LOOPBACK, port: int = 0,
                 any_ip: bool = False) -> None:
        self.hosts = {h.lower() for h in hosts}
        self.port = port
        self.any_ip = any_ip

    def own(self, host: str | None) -> bool:
        """Whether `host` (a Host header: name:port) is this server's."""
        if not host:
            return False
        name, sep, port = host.strip().lower().rpartition(":")
        if not sep or not port.isdigit() or int(port) != self.port:
            return False
        if name in self.hosts:
            return True
        if self.any_ip:
            try:
                ipaddress.ip_address(name.strip("[]"))
                return True
            except ValueError:
                return False
        return False

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()
        if not self.own(req.get_header("Host")):
            raise falcon.HTTPForbidden(title="refused",
                                       description="foreign Host: this server answers only "
                                                   "to its own address")
        origin = req.get_header("Origin")
        if req.method not in ("GET", "HEAD") and origin is not None:
            scheme, sep, rest = origin.partition("://")
            if scheme != "http" or not sep or not self.own(rest):
                raise falcon.HTTPForbidden(title="refused",
                                           description="foreign Origin: requests from "
                                                       "other sites are refused")

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         req_succeeded: bool) -> None:
        cache = resp.get_header("Cache-Control")
        resp.set_headers(_HEADERS)
        started = getattr(req.context, "started", None)
        if started is not None:  # the time the server took, for benchmarks/serve_speed.py
            resp.set_header("Server-Timing",
                            f"app;dur={(time.perf_counter() - started) * 1000:.2f}")
        if cache:
            resp.set_header("Cache-Control", cache)


def _lang(value: object, default: str) -> str:
    return value if isinstance(value, str) and value in LANGS else default


def _body(req: falcon.Request) -> dict[str, Any]:
    if req.content_length is not None and req.content_length > MAX_BODY:
        raise falcon.HTTPContentTooLarge(title="too large")
    raw = req.bounded_stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise falcon.HTTPContentTooLarge(title="too large")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise falcon.HTTPBadRequest(title="not JSON") from None
    if not isinstance(data, dict):
        raise falcon.HTTPBadRequest(title="not a JSON object")
    return data


class Page:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.data = static_file("index.html")


class Static:
    TYPES = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        if name not in self.TYPES:
            raise falcon.HTTPNotFound()
        resp.content_type = self.TYPES[name]
        resp.data = static_file(name)


class Fonts:
    """The Chinese fonts handcalc ships for its PDFs, for a browser that has none."""

    NAMES = ("NotoSansSC-Handcalc.otf", "NotoSansSC-Handcalc-Bold.otf")

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        if name not in self.NAMES:
            raise falcon.HTTPNotFound()
        resp.content_type = "font/otf"
        resp.data = resources.files("handcalc.sheets.fonts").joinpath(name).read_bytes()
        resp.cache_control = ["max-age=86400"]


class Words:
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        lang = _lang(req.get_param("lang"), self.lang)
        resp.media = {"lang": lang, "words": {
            key: tr(key, lang, "unicode", tries=TRIES) for key in catalogue("en")
            if key.startswith(PAGE_WORDS)}}


class Api:
    """The session actions; each answers the session's state in the language asked for."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    def on_post_session(self, req: falcon.Request, resp: falcon.Response) -> None:
        lang = _lang(_body(req).get("lang"), self.sessions.lang)
        token, session = self.sessions.new()
        with self.sessions.lock:
            resp.media = {"session": token, "state": session.state(lang)}

    def on_get_state(self, req: falcon.Request, resp: falcon.Response) -> None:
        lang = _lang(req.get_param("lang"), self.sessions.lang)
        session = self._session(req.get_param("session"), lang)
        with self.sessions.lock:
            resp.media = {"state": session.state(lang)}

    def _act(self, req: falcon.Request, resp: falcon.Response,
             action: Callable[[Session, dict[str, Any]], None]) -> None:
        data = _body(req)
        lang = _lang(data.get("lang"), self.sessions.lang)
        session = self._session(data.get("session"), lang)
        error = None
        with self.sessions.lock:
            try:
                action(session, data)
            except HandcalcError as e:
                error = page_error(e, lang)
            resp.media = {"state": session.state(lang), "error": error}

    def on_post_answer(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._act(req, resp, lambda s, d: s.answer(d.get("cells")))

    def on_post_skip(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._act(req, resp, lambda s, d: s.skip())

    def on_post_next(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._act(req, resp, lambda s, d: s.next())

    def on_post_finish(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._act(req, resp, lambda s, d: s.finish())

    def _session(self, token: object, lang: str) -> Session:
        found = self.sessions.get(token)
        if found is None:
            raise falcon.HTTPNotFound(title=tr("web.no_session", lang))
        return found


def make_app(sessions: Sessions, guard: Guard) -> falcon.App:
    app = falcon.App(middleware=[guard])
    app.add_route("/", Page())
    app.add_route("/static/{name}", Static())
    app.add_route("/static/fonts/{name}", Fonts())
    app.add_route("/api/words", Words(sessions.lang))
    api = Api(sessions)
    for name in ("session", "state", "answer", "skip", "next", "finish"):
        app.add_route(f"/api/{name}", api, suffix=name)
    return app
