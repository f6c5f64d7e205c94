"""handcalc serve without a browser: the guard (Host, Origin), the JSON API over a whole
session, the grid's parsing, the page's words in both languages, MathML output."""

import json
import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from falcon import testing

from handcalc.cli import cli
from handcalc.errors import UnknownCode
from handcalc.text import mathtext
from handcalc.web.app import Guard, make_app
from handcalc.web.session import BoxError, Sessions, parse_grid
from handcalc.web.sources import exercise_source

PORT = 8765
OWN = {"Host": f"127.0.0.1:{PORT}"}


def client(*codes, lang="en", **guard):
    source = exercise_source((), 1, 1, None, codes or ("worked-4",), None)
    return testing.TestClient(make_app(Sessions(source, lang), Guard(port=PORT, **guard)))


def post(c, path, body, headers=OWN):
    return c.simulate_post(path, body=json.dumps(body), headers=headers)


# ---------------------------------------------------------------- Host and Origin


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}",
                                  f"LOCALHOST:{PORT}"])
def test_own_host_is_served(host):
    r = client().simulate_get("/", headers={"Host": host})
    assert r.status_code == 200
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert "<script src=\"/static/app.js\"" in r.text and "<script>" not in r.text


@pytest.mark.parametrize("host", ["evil.example:8765", f"evil.example:{PORT}",
                                  "127.0.0.1:9999", "127.0.0.1", "localhost.evil.example:8765",
                                  f"10.0.0.5:{PORT}", ""])
def test_foreign_host_is_refused(host):
    c = client()
    for path in ("/", "/api/words", "/static/app.js"):
        assert c.simulate_get(path, headers={"Host": host}).status_code == 403
    assert post(c, "/api/session", {}, {"Host": host}).status_code == 403


def test_any_ip_mode_accepts_ip_literals_but_no_names():
    c = client(any_ip=True)
    assert c.simulate_get("/", headers={"Host": f"10.0.0.5:{PORT}"}).status_code == 200
    assert c.simulate_get("/", headers={"Host": f"evil.example:{PORT}"}).status_code == 403


@pytest.mark.parametrize("origin", ["http://evil.example", f"http://evil.example:{PORT}",
                                    "null", f"https://127.0.0.1:{PORT}",
                                    f"http://127.0.0.1:{PORT + 1}"])
def test_foreign_origin_is_refused_for_state_changes(origin):
    c = client()
    r = post(c, "/api/session", {}, {**OWN, "Origin": origin})
    assert r.status_code == 403
    assert "session" not in r.text


def test_own_origin_and_no_origin_are_accepted():
    c = client()
    assert post(c, "/api/session", {}, {**OWN, "Origin": f"http://localhost:{PORT}"}).status_code \
        == 200
    assert post(c, "/api/session", {}).status_code == 200


def test_body_too_large_and_not_json():
    c = client()
    assert c.simulate_post("/api/session", body="x" * 70000, headers=OWN).status_code == 413
    assert c.simulate_post("/api/session", body="{", headers=OWN).status_code == 400
    assert post(c, "/api/answer", {"session": "nope", "cells": []}).status_code == 404


# ---------------------------------------------------------------- a session


def start(c, lang="en"):
    r = post(c, "/api/session", {"lang": lang})
    assert r.status_code == 200
    return r.json["session"], r.json["state"]


def act(c, token, action, lang="en", **body):
    r = post(c, f"/api/{action}", {"session": token, "lang": lang, **body})
    assert r.status_code == 200, r.text
    return r.json["state"], r.json["error"]


def test_a_whole_session_right_wrong_fullwidth_skip_summary():
    c = client("worked-4")
    token, state = start(c)
    assert state["code"] == "worked-4" and state["current"] == 1
    assert [p["shape"] for p in state["parts"]] == [[1, 2], [1, 2]]
    text = json.dumps(state)
    # no key before the part is over: neither its answer nor a solution
    assert "0.71" not in text and "2.12" not in text and "solution" not in text
    assert "<math" in state["html"] and "<mtable" in state["html"]

    state, error = act(c, token, "answer", cells=[["1", ""]])  # an empty box: no try used
    assert "box 2 is empty" in error and state["parts"][0]["try"] == 1

    state, error = act(c, token, "answer", cells=[["1", "3"]])  # forgot the scaling
    part = state["parts"][0]
    assert error is None and part["try"] == 2 and part["verdict"]["cells"] == [[False, False]]
    assert "forgot to divide" in part["verdict"]["diagnosis"]
    assert "<msqrt>" in part["verdict"]["diagnosis"]
    assert "solution" not in part and "2.12" not in json.dumps(state)

    state, _ = act(c, token, "answer", cells=[["０.７１", "２．１２"]])  # a Chinese IME's digits
    assert state["parts"][0]["status"] == "right" and state["current"] == 2
    assert "solution" not in state["parts"][0]

    state, _ = act(c, token, "skip")
    part = state["parts"][1]
    assert part["status"] == "missed" and "0.80" in part["solution"]
    assert state["over"] and state["last"] and "1 of 2" in state["score"]

    state, error = act(c, token, "answer", cells=[["1", "2"]])  # the exercise is over
    assert "over" in error

    state, _ = act(c, token, "finish")
    assert state["done"]
    rows = dict(state["summary"]["rows"])
    assert rows["right after retries:"] == "1" and rows["missed:"] == "1"
    assert state["summary"]["right"] == 1 and state["summary"]["total"] == 2


def test_carried_forward_credit_from_a_missed_part():
    c = client("worked-4")
    token, _ = start(c)
    for _ in range(3):
        state, _ = act(c, token, "answer", cells=[["1", "3"]])
    assert state["parts"][0]["status"] == "missed" and "solution" in state["parts"][0]
    # softmax of the learner's own (1, 3): e/(e + e^3) = 0.12
    state, _ = act(c, token, "answer", cells=[["0.12", "0.88"]])
    verdict = state["parts"][1]["verdict"]
    assert verdict["correct"] and "earlier answers" in verdict["words"]


def test_next_exercise_and_chinese():
    c = client("worked-1", "worked-4", lang="zh")
    token, state = start(c, "zh")
    assert "代码 worked-1" in state["html"]
    for _ in state["parts"]:
        state, _ = act(c, token, "skip", "zh")
    assert state["over"] and not state["last"] and "worked-1" in state["score"]
    state, _ = act(c, token, "next", "zh")
    assert state["code"] == "worked-4" and state["current"] == 1
    state, error = act(c, token, "answer", "zh", cells=[["1", ""]])
    assert "第 2 个框为空" in error
    r = c.simulate_get("/api/state", params={"session": token, "lang": "en"}, headers=OWN)
    assert "[code worked-4]" in r.json["state"]["html"]


def test_typed_markup_comes_back_as_text_only():
    c = client("worked-4")
    token, _ = start(c)
    state, error = act(c, token, "answer", cells=[["<img src=x onerror=alert(1)>", "1"]])
    assert error.startswith("box 1: ")
    assert "<img" not in json.dumps(state)  # the page shows the error as text, not markup


def test_words_in_both_languages():
    c = client()
    en = c.simulate_get("/api/words", params={"lang": "en"}, headers=OWN).json
    zh = c.simulate_get("/api/words", params={"lang": "zh"}, headers=OWN).json
    assert en["lang"] == "en" and zh["lang"] == "zh"
    assert set(en["words"]) == set(zh["words"]) and "web.ui.check" in en["words"]
    assert zh["words"]["web.ui.check"] == "提交" and "3" in en["words"]["web.ui.help"]
    page = c.simulate_get("/", headers=OWN).text


    for word in re.findall(r'data-(?:word|label)="([\w.]+)"', page):
        assert word in en["words"], word


def test_static_files_and_fonts():
    c = client()
    assert "text/javascript" in c.simulate_get("/static/app.js", headers=OWN).headers[
        "content-type"]
    assert c.simulate_get("/static/nope.js", headers=OWN).status_code == 404
    font = c.simulate_get("/static/fonts/NotoSansSC-Handcalc.otf", headers=OWN)
    assert font.status_code == 200 and font.content[:4] == b"OTTO"
    assert c.simulate_get("/static/fonts/..%2Fsfnt.py", headers=OWN).status_code == 404
    assert "innerHTML" not in c.simulate_get("/static/app.js", headers=OWN).text.replace(
        "e.innerHTML = fragment", "")  # markup only from the server's renderer


# ---------------------------------------------------------------- the grid


def test_parse_grid():
    import sympy

    assert parse_grid([["1", "-inf"], ["5/sqrt(2)", "０.５"]], (2, 2))[1][1] == sympy.Rational(1, 2)
    for cells in ([["1", "2"]], [["1"], ["2"]], "1, 2", [[1, 2], [3, 4]],
                  [["1", "2"], ["3", ""]], [["1, 2", "3"], ["4", "5"]], [["x" * 300, "1"],
                                                                        ["1", "1"]]):
        with pytest.raises(BoxError):
            parse_grid(cells, (2, 2))


# ---------------------------------------------------------------- the command


def test_serve_refuses_a_bad_code_or_family_before_listening():
    r = CliRunner().invoke(cli, ["serve", "--code", "nope-1-1", "--port", "0"])
    assert r.exit_code == 2 and "unknown" in r.output
    r = CliRunner().invoke(cli, ["serve", "nofamily", "--port", "0"])
    assert r.exit_code == 2
    with pytest.raises(UnknownCode):
        exercise_source((), 1, 1, None, ("worked-99",), None)


def test_serve_says_when_the_port_is_taken():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = CliRunner().invoke(cli, ["serve", "gqa", "--port", str(port)])
    assert r.exit_code == 2 and f"port {port}" in r.output


# ---------------------------------------------------------------- MathML


def test_mathml_target():
    assert mathtext.to_target("S = (Q K^T) / sqrt(d_k)", "mathml") == (
        "<mi>S</mi><mo>=</mo><mfrac><mrow><mrow><mi>Q</mi><msup><mrow><mi>K</mi></mrow>"
        "<mrow><mi>T</mi></mrow></msup></mrow></mrow><mrow><msqrt><msub><mrow><mi>d</mi>"
        "</mrow><mrow><mi>k</mi></mrow></msub></msqrt></mrow></mfrac>")
    assert mathtext.mathml("-infinity") == "<math><mo>−</mo><mi>∞</mi></math>"
    assert "&lt;b&gt;" in mathtext.to_target('"<b>"', "mathml")
    assert "<mo>≤</mo>" in mathtext.to_target("x <= y", "mathml")


def test_serve_says_where_it_listens_and_warns_beyond_the_loopback(monkeypatch):
    from handcalc.web import server

    served = []
    monkeypatch.setattr(server.Running, "run",
                        lambda self: (served.append(self.url), self.close()))
    r = CliRunner().invoke(cli, ["serve", "gqa", "--port", "0", "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "listening on 127.0.0.1 only" in r.stdout and served[0] in r.stdout
    assert "warning" not in r.output
    r = CliRunner().invoke(cli, ["serve", "gqa", "--port", "0", "--host", "0.0.0.0",
                                 "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert len(r.stderr.strip().splitlines()) == 1 and "警告" in r.stderr


def test_spec_and_codes_as_a_source():
    spec = Path(__file__).resolve().parent.parent / "problems" / "worked-set.toml"
    exercises = list(exercise_source(("causal",), 2, 1, str(spec),
                                     ("worked-4",), 7)())
    codes = [ex.code for ex in exercises]
    assert codes[:10] == [f"worked-{n}" for n in range(1, 11)]
    assert codes[10] == "worked-4" and codes[11].startswith("causal-2-") and len(codes) == 12
