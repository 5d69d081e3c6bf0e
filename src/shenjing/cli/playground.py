"""``shenjing playground``: train a network in the browser and watch every neuron learn.

Serves the Playground (``shenjing.playground``) on this machine only, prints its address and
opens it in the browser. Needs the ``playground`` extra (Starlette and uvicorn).
"""

from __future__ import annotations

INSTALL_HINT = "pip install 'shenjing[playground]'"


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="a loopback address to serve on (default: 127.0.0.1); the "
                             "Playground never serves other machines")
    parser.add_argument("--port", type=int, default=8000,
                        help="the port (default: 8000; 0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true",
                        help="print the address without opening a browser")


def require_extra() -> None:
    """Raise ``MissingExtraError`` (saying how to install) without Starlette or uvicorn."""
    from shenjing.viz.canvas import MissingExtraError

    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError(f"the Playground needs {exc.name}, which is not installed: "
                                f"{INSTALL_HINT}") from None


def run(args) -> int:
    require_extra()
    from shenjing.playground.app import create_app
    from shenjing.playground.serve import address, listen, server

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be 0 to 65535, got {args.port}")
    sock = listen(args.host, args.port)  # before anything prints: a taken port fails here
    url = address(sock)
    print(f"shenjing playground: serving on {url} (Ctrl+C to stop)", flush=True)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(url)  # the socket listens already: the page's request waits for us
    try:
        server(create_app(), log_level="warning").run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn stops cleanly on Ctrl+C, then raises it again
        pass
    finally:
        sock.close()
    print("shenjing playground: stopped", flush=True)
    return 0
