"""Helpers for the data set tests: where the shared real data lives, and a local HTTP server.

The real MNIST files sit read-only in ``<clone>/../shared/data`` (override with the environment
variable ``SHENJING_SHARED_DATA``). Tests never write there: they copy what they need into a
temporary folder. Downloads are tested against a server on 127.0.0.1 (an ephemeral port) whose
URL prefix picks its behaviour: ``/good/`` serves files, ``/missing/`` answers 404,
``/corrupt/`` flips bytes, ``/short/`` sends half the file with a matching Content-Length,
``/cut/`` announces the whole file but closes the connection half-way.
"""

from __future__ import annotations

import contextlib
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("SHENJING_SHARED_DATA", REPO.parent / "shared" / "data"))
MNIST_DIR = SHARED_DATA / "mnist"

# In CI the real data must be there: a missing folder fails the tests instead of skipping them.
requires_mnist = pytest.mark.skipif(
    not (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").is_file() and not os.environ.get("CI"),
    reason=f"real MNIST not found in {MNIST_DIR} (set SHENJING_SHARED_DATA)",
)


def _handler(directory: Path, log: list[str]):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # the name http.server calls
            log.append(self.path)
            mode, _, name = self.path.lstrip("/").partition("/")
            path = directory / name
            if mode == "missing" or "/" in name or not path.is_file():
                self.send_error(404, "not found")
                return
            body = path.read_bytes()
            length = len(body)
            if mode == "corrupt":
                middle = len(body) // 2
                body = body[:middle] + bytes(b ^ 0xFF for b in body[middle:middle + 64]) \
                    + body[middle + 64:]
            elif mode == "short":
                body = body[: len(body) // 2]
                length = len(body)
            elif mode == "cut":
                body = body[: len(body) // 2]  # length stays that of the whole file
            elif mode != "good":
                self.send_error(404, f"unknown mode {mode}")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(body)
            if mode == "cut":
                self.close_connection = True

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler


@contextlib.contextmanager
def serve(directory: str | os.PathLike):
    """Serve ``directory`` on 127.0.0.1; yield ``(base_url, log)``, log being requested paths."""
    log: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Path(directory), log))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def write_gzip_bomb(path: str | os.PathLike, header: bytes, zeros: int) -> Path:
    """Write ``header`` then ``zeros`` zero bytes gzipped to ``path``, compressing in chunks so
    the test never holds the expanded bytes itself: 100 MB of zeros make a file of about 100 KB.
    (Zeros also end a tar archive, so a tar header as ``header`` makes a valid archive.)"""
    import zlib

    path = Path(path)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 16 + 15: a gzip container
    chunk = bytes(1 << 20)
    with open(path, "wb") as out:
        out.write(compressor.compress(header))
        for start in range(0, zeros, len(chunk)):
            out.write(compressor.compress(chunk[: min(len(chunk), zeros - start)]))
        out.write(compressor.flush())
    return path


def peak_traced_bytes(function, *args, **kwargs) -> tuple[BaseException | None, int]:
    """Call ``function``; return the exception it raised (or None) and the peak of memory that
    Python and NumPy allocated meanwhile (tracemalloc counts NumPy's array buffers too)."""
    import tracemalloc

    tracemalloc.start()
    try:
        function(*args, **kwargs)
        error = None
    except Exception as exc:  # the caller asserts on it
        error = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak
