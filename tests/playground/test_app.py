"""The Playground's server: every endpoint, every error status, the event stream's life.

The JSON endpoints run through Starlette's ``TestClient``; event streams, which never end by
themselves, run against a real uvicorn server on 127.0.0.1 in a thread (``serve_in_background``).
Every wait is bounded, and each test checks that no server thread is left behind.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
from starlette.testclient import TestClient

import shenjing as sj
from shenjing.cli import main
from shenjing.playground.app import create_app
from shenjing.playground.config import Config
from shenjing.playground.local import is_loopback
from shenjing.playground.serve import listen, serve_in_background
from shenjing.playground.tabs import FRAME_INTERVAL, build_session

LOCAL = "http://127.0.0.1:8000"
DIVERGES = "lr=10&opt=momentum&act=linear&hidden=16,16,16,16,16,16"
CSV = "x1,x2,label\n" + "\n".join(
    f"{x},{y},{'a' if x * y > 0 else 'b'}" for x in (-1, -0.5, 0.5, 1) for y in (-1, 0.5, 1))


def wait_until(condition, timeout: float = 10.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)


@pytest.fixture
def client():
    with TestClient(create_app(), base_url=LOCAL) as test_client:
        yield test_client


def new_session(client, query: str = "", csv: str | None = None) -> str:
    response = client.post("/api/sessions", json={"query": query, "csv": csv})
    assert response.status_code == 201, response.text
    return response.json()["id"]


# The JSON endpoints.

def test_the_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    script = client.get("/static/playground.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/static/no-such-file.js").status_code == 404
    assert client.get("/static/../app.py").status_code == 404


def test_a_session_is_made_from_a_query_and_answers_with_its_canonical_form(client):
    response = client.post("/api/sessions", json={"query": "?dataset=xor&hidden=4", "csv": None})
    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["id"], str) and len(body["id"]) >= 16
    assert body["query"] == Config.from_query("dataset=xor&hidden=4").to_query()
    assert client.post("/api/sessions", json={}).json()["query"] == Config().to_query()


@pytest.mark.parametrize("body, words", [
    ({"query": "lr=nan"}, "lr"),
    ({"query": "hidden=8,0"}, "hidden"),
    ({"query": "colour=red"}, "colour"),
    ({"query": "dataset=csv", "csv": "x1,x2,label\n1,2,a\na,b,c\n"}, "line"),
    ({"query": 3}, "query must be a string"),
    ({"query": "", "csv": 5}, "csv must be a string"),
    ([1, 2], "JSON object"),
], ids=["nan-lr", "empty-layer", "unknown-key", "bad-csv", "query-type", "csv-type", "array"])
def test_bad_input_is_a_400_that_says_what(client, body, words):
    response = client.post("/api/sessions", json=body)
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_a_body_that_is_not_json_or_too_large_is_a_400(client):
    response = client.post("/api/sessions", content=b"{not json")
    assert response.status_code == 400 and "not JSON" in response.json()["error"]
    huge = {"query": "dataset=csv", "csv": "1,2,a\n" * 500_000}
    response = client.post("/api/sessions", json=huge)
    assert response.status_code == 400 and "larger than 2 MiB" in response.json()["error"]


def test_deeply_nested_json_is_a_400_not_a_crash(client):
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/api/sessions", content=deep)
    assert response.status_code == 400 and "nested too deeply" in response.json()["error"]
    sid = new_session(client)
    for url in (f"/api/sessions/{sid}/config", f"/api/sessions/{sid}/control"):
        response = client.post(url, content=b'{"query": ' + deep + b"}")
        assert response.status_code == 400 and "nested too deeply" in response.json()["error"]
    assert client.post(f"/api/sessions/{sid}/control", json={"action": "play"}).status_code == 200


def test_a_csv_makes_a_session_of_its_points(client):
    response = client.post("/api/sessions", json={"query": "dataset=csv", "csv": CSV})
    assert response.status_code == 201, response.text
    tab = client.app.state.sessions.get(response.json()["id"])
    data = tab.session.data()
    assert len(data["train"]) + len(data["test"]) == 12 and data["classes"] == 2


def test_control_plays_pauses_steps_and_resets(client):
    sid = new_session(client)
    tab = client.app.state.sessions.get(sid)
    url = f"/api/sessions/{sid}/control"
    assert client.post(url, json={"action": "play"}).json() == {"running": True}
    assert client.post(url, json={"action": "pause"}).json() == {"running": False}
    assert client.post(url, json={"action": "step"}).json() == {"running": False}
    assert tab.session.frame()["epoch"] == pytest.approx(1.0)  # a step is one epoch
    first = tab.session
    assert client.post(url, json={"action": "play"}).json() == {"running": True}
    assert client.post(url, json={"action": "reset"}).json() == {"running": True}
    assert tab.session is not first and tab.session.frame()["epoch"] == 0
    response = client.post(url, json={"action": "jump"})
    assert response.status_code == 400 and "play, pause, step, reset" in response.json()["error"]
    assert client.post(url, content=b"play").status_code == 400


def test_config_rebuilds_the_session_and_a_bad_one_keeps_the_old(client):
    sid = new_session(client)
    tab = client.app.state.sessions.get(sid)
    url = f"/api/sessions/{sid}/config"
    response = client.post(url, json={"query": "dataset=spirals&classes=3", "csv": None})
    assert response.status_code == 200
    assert Config.from_query(response.json()["query"]).classes == 3
    kept = tab.session
    response = client.post(url, json={"query": "dataset=spirals&lr=-1"})
    assert response.status_code == 400 and "lr" in response.json()["error"]
    assert tab.session is kept and Config.from_query(tab.query).classes == 3


def test_the_weights_and_the_script_download_as_attachments(client, tmp_path):
    sid = new_session(client, "hidden=4")
    client.post(f"/api/sessions/{sid}/control", json={"action": "step"})
    weights = client.get(f"/api/sessions/{sid}/weights.safetensors")
    assert weights.status_code == 200
    assert weights.headers["content-disposition"].startswith("attachment")
    (tmp_path / "w.safetensors").write_bytes(weights.content)
    state = sj.load(tmp_path / "w.safetensors")
    assert {tuple(v.shape) for v in state.values()} >= {(4, 2), (4,)}
    script = client.get(f"/api/sessions/{sid}/script.py")
    assert script.status_code == 200 and "attachment" in script.headers["content-disposition"]
    assert "import shenjing" in script.text
    compile(script.text, "playground.py", "exec")


def test_delete_closes_the_session_and_unknown_sessions_are_404(client):
    sid = new_session(client)
    assert client.delete(f"/api/sessions/{sid}").status_code == 200
    assert len(client.app.state.sessions) == 0
    for method, path, body in [("GET", "events", None), ("POST", "control", {"action": "play"}),
                               ("POST", "config", {"query": ""}),
                               ("GET", "weights.safetensors", None), ("GET", "script.py", None)]:
        response = client.request(method, f"/api/sessions/{sid}/{path}", json=body)
        assert response.status_code == 404, path
        assert "no session" in response.json()["error"]
    assert client.delete(f"/api/sessions/{sid}").status_code == 404


def test_past_the_limit_a_new_session_is_a_503():
    with TestClient(create_app(limit=2), base_url=LOCAL) as client:
        new_session(client)
        new_session(client)
        response = client.post("/api/sessions", json={"query": ""})
        assert response.status_code == 503 and "limit" in response.json()["error"]


def test_a_session_whose_page_never_streams_is_reaped():
    with TestClient(create_app(linger=0.2), base_url=LOCAL) as client:
        new_session(client)
        wait_until(lambda: len(client.app.state.sessions) == 0, 5, "reaping")


def test_requests_from_other_sites_are_refused(client):
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "127.0.0.1"):
        assert client.get("/", headers={"host": host}).status_code == 200, host
    response = client.get("/", headers={"host": "evil.example:8000"})  # a rebound DNS name
    assert response.status_code == 400 and "this machine only" in response.json()["error"]
    same = client.post("/api/sessions", json={}, headers={"origin": LOCAL})
    assert same.status_code == 201
    other = client.post("/api/sessions", json={}, headers={"origin": "https://evil.example"})
    assert other.status_code == 403 and "evil.example" in other.json()["error"]
    assert len(client.app.state.sessions) == 1


def test_only_loopback_hosts_are_served():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    for host in ("0.0.0.0", "192.168.1.2", "example.com", "::"):
        with pytest.raises(ValueError, match="loopback"):
            listen(host, 0)


# The event stream, against a real server.

def events(response, timeout: float = 20.0):
    """(event name, JSON payload) pairs of a server-sent event stream."""
    name, data = "message", []
    deadline = time.monotonic() + timeout
    for line in response.iter_lines():
        if time.monotonic() > deadline:
            raise AssertionError(f"the stream went on past {timeout} s")
        if line == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


@contextmanager
def served(**options):
    """A real server on 127.0.0.1 and an HTTP client; no thread survives it."""
    before = set(threading.enumerate())
    app = create_app(**options)
    with serve_in_background(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield app, http
    wait_until(lambda: set(threading.enumerate()) <= before, 15, "the server's threads ending")


def post(http, sid, action):
    response = http.post(f"/api/sessions/{sid}/control", json={"action": action})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_stream_sends_the_data_then_frames_while_playing():
    with served() as (app, http):
        sid = http.post("/api/sessions", json={"query": "hidden=8,8"}).json()["id"]
        with http.stream("GET", f"/api/sessions/{sid}/events") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = events(response)
            name, data = next(stream)
            assert name == "data" and data["classes"] == 4 and len(data["bounds"]) == 4
            assert data["query"] == Config.from_query("hidden=8,8").to_query()
            assert len(data["train"]) == 200 and len(data["train"][0]) == 3
            name, frame = next(stream)  # the untrained network's
            assert name == "frame" and frame["epoch"] == 0 and frame["grid"] == 48
            post(http, sid, "step")
            name, frame = next(stream)
            assert name == "frame" and frame["epoch"] == pytest.approx(1.0)
            assert post(http, sid, "play") == {"running": True}
            start, epochs = time.monotonic(), []
            while time.monotonic() - start < 5:
                name, frame = next(stream)
                assert name == "frame" and frame["error"] is None
                epochs.append(frame["epoch"])
            rate = len(epochs) / (time.monotonic() - start)
            print(f"{rate:.1f} frames a second, epoch {epochs[-1]:.1f}")
            # The figure: >= 10 frames a second for this 2-8-8-4 network. Unloaded it
            # makes about 20 (a 40 ms slice and the frame), so the floor holds under real load.
            assert rate >= 10 and epochs == sorted(epochs) and epochs[-1] > 1
            post(http, sid, "pause")
            http.post(f"/api/sessions/{sid}/config", json={"query": "dataset=xor"})
            names = []
            for name, payload in stream:
                names.append(name)
                if name == "data":
                    assert payload["classes"] == 2
                    name, frame = next(stream)
                    assert name == "frame" and frame["epoch"] == 0
                    break
            assert set(names[:-1]) <= {"frame"}  # frames of the old session still on their way
        wait_until(lambda: app.state.sessions.get(sid).streams == 0, 5, "the stream's end")


def test_a_closed_stream_closes_its_session_and_a_reconnection_keeps_it():
    with served(linger=0.5) as (app, http):
        sid = http.post("/api/sessions", json={"query": ""}).json()["id"]
        post(http, sid, "play")
        for _ in range(2):  # a reconnection within the linger keeps the session
            with http.stream("GET", f"/api/sessions/{sid}/events") as response:
                stream = events(response)
                assert next(stream)[0] == "data" and next(stream)[0] == "frame"
            time.sleep(0.1)
            assert app.state.sessions.get(sid) is not None
        wait_until(lambda: len(app.state.sessions) == 0, 5, "the session's closing")


def test_a_newer_stream_of_a_tab_replaces_the_older():
    with served() as (app, http):
        sid = http.post("/api/sessions", json={"query": ""}).json()["id"]
        with http.stream("GET", f"/api/sessions/{sid}/events") as old:
            old_events = events(old)
            assert next(old_events)[0] == "data"
            with http.stream("GET", f"/api/sessions/{sid}/events") as new:
                assert next(events(new))[0] == "data"
                # the old stream ends, at most after the frame it had on its way
                assert {name for name, _ in old_events} <= {"frame"}
        assert len(app.state.sessions) == 1


def test_a_diverging_loss_is_an_error_event_and_pauses():
    with served() as (app, http):
        sid = http.post("/api/sessions", json={"query": DIVERGES}).json()["id"]
        with http.stream("GET", f"/api/sessions/{sid}/events") as response:
            stream = events(response)
            assert next(stream)[0] == "data"
            post(http, sid, "play")
            errors = (payload for name, payload in stream if name == "error")
            payload = next(errors)
            assert "diverged" in payload["error"] and "learning rate" in payload["error"]
            assert app.state.sessions.get(sid).running is False
            post(http, sid, "play")  # again: the page hears why not
            assert next(errors)["error"] == payload["error"]
            wait_until(lambda: not app.state.sessions.get(sid).running, 5, "the pause")
            assert post(http, sid, "reset") == {"running": False}
            name, frame = next(stream)
            assert name == "data"


class Slow:
    """A session whose mini-batch sleeps 1 ms (a thread that waits, not a busy core), so the
    share of the time a playing tab trains is measured whatever else loads the machine."""

    def __init__(self, query, csv):
        self.real = build_session(query, csv)
        self.config, self.data = self.real.config, self.real.data
        self.error = None
        self.training = 0.0

    def step(self, batches=1):
        start = time.perf_counter()
        time.sleep(batches * 1e-3)
        self.training += time.perf_counter() - start

    def frame(self):
        return {"epoch": 0.0, "error": None}


def test_a_playing_tab_trains_most_of_the_time():
    # Paced from the start of each slice: a slice longer than the frame interval is followed
    # by the next at once. Paced from its end, a tab idled a whole interval after each slice
    # (about 45% of the time).
    with served(factory=Slow) as (app, http):
        sid = http.post("/api/sessions", json={"query": ""}).json()["id"]
        session = app.state.sessions.get(sid).session
        with http.stream("GET", f"/api/sessions/{sid}/events") as response:
            stream = events(response)
            assert next(stream)[0] == "data"
            post(http, sid, "play")
            frames, start, trained = 0, time.monotonic(), session.training
            while time.monotonic() - start < 3:
                frames += next(stream)[0] == "frame"
            elapsed = time.monotonic() - start
            share = (session.training - trained) / elapsed
            print(f"trains {share:.0%} of the time, {frames / elapsed:.0f} frames a second")
            assert share > 0.75
            assert frames <= elapsed / FRAME_INTERVAL + 2  # and never faster than the interval


class Broken:
    """A session that fails in ``step`` (a bug in the engine, say)."""

    def __init__(self, query, csv):
        self.real = build_session(query.replace("broken=1", ""), csv)
        self.config = self.real.config
        self.data = self.real.data
        self.frame = self.real.frame

    def step(self, batches=1):
        raise RuntimeError("a bug in the engine")


def test_the_server_survives_a_sessions_exception():
    def factory(query, csv):
        return Broken(query, csv) if "broken=1" in query else build_session(query, csv)

    with served(factory=factory) as (app, http):
        bad = http.post("/api/sessions", json={"query": "broken=1"}).json()["id"]
        good = http.post("/api/sessions", json={"query": ""}).json()["id"]
        post(http, bad, "play")
        post(http, good, "play")
        with http.stream("GET", f"/api/sessions/{bad}/events") as response:
            stream = events(response)
            assert next(stream)[0] == "data"
            name, payload = next(stream)
            assert name == "error" and "RuntimeError: a bug in the engine" in payload["error"]
        with http.stream("GET", f"/api/sessions/{good}/events") as response:
            names = [event[0] for event, _ in zip(events(response), range(5))]
            assert names[0] == "data" and set(names[1:]) == {"frame"}
        assert http.get("/").status_code == 200


# The command.

def test_the_command_serves_prints_its_address_opens_a_browser_and_stops_on_ctrl_c(tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(f"import sys\nopen({str(opened)!r}, 'w').write(sys.argv[1])\n")
    env = {**os.environ, "BROWSER": f"{sys.executable} {browser} %s"}
    command = [sys.executable, "-m", "shenjing", "playground", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    try:
        line = process.stdout.readline()
        url = re.fullmatch(r"shenjing playground: serving on (http://127\.0\.0\.1:\d+/) .*\n",
                           line)[1]
        with httpx.Client(base_url=url, timeout=10) as http:
            assert http.get("/").status_code == 200
            sid = http.post("/api/sessions", json={"query": ""}).json()["id"]
            post(http, sid, "play")
            with http.stream("GET", f"/api/sessions/{sid}/events") as response:
                stream = events(response)
                assert [next(stream)[0] for _ in range(3)] == ["data", "frame", "frame"]
                process.send_signal(signal.SIGINT)  # with a stream open and training
                out, err = process.communicate(timeout=20)
        wait_until(opened.exists, 10, "the browser's opening")
        assert opened.read_text() == url
        assert process.returncode == 0 and "stopped" in out, err
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def test_the_command_refuses_other_hosts_and_a_taken_port(capsys):
    assert main(["playground", "--host", "0.0.0.0", "--no-browser"]) == 2
    assert "loopback" in capsys.readouterr().err
    with listen("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        assert main(["playground", "--port", str(port), "--no-browser"]) == 2
        assert f"shenjing playground: [Errno {errno.EADDRINUSE}]" in capsys.readouterr().err
