"""The ``app`` command: serve the classroom app (Mesa SolaraViz) on localhost."""

from __future__ import annotations

import argparse

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "interfaces.app"  # the module whose ``Page`` component the server shows
# Settings of the Solara server, as environment variables: no usage telemetry (the app must work
# offline in a classroom; its web assets come from the solara-assets package of the [app] extra).
SERVER_ENVIRONMENT = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
# A session whose page closed is kept this long for a reconnect (a flaky classroom network),
# then culled and its memory returned; Solara's own default keeps it for a day.
DEFAULT_SESSION_TIMEOUT_S = 30
SESSION_TIMEOUT_VARIABLE = "SOLARA_KERNEL_CULL_TIMEOUT"
APP_PARKS_VARIABLE = "SYMBIOSIS_APP_PARKS"  # park files for the picker (interfaces.app_model)
EXIT_GRACE_S = 1.0  # after Ctrl+C, threads still running after this long are not waited for
# C heaps (glibc malloc arenas) the server may use. Every play loop and websocket worker is a
# thread, and by default glibc gives up to 8 per core, each keeping what its thread freed; a few
# shared ones let the memory of closed sessions be reused and returned.
MALLOC_ARENAS = 2


def seconds(text: str) -> int:
    """Argument type: a whole number of seconds from 1 to one day."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole seconds, got {text!r}") from None
    if not 1 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"must be between 1 and 86400 seconds, got {value}")
    return value


def port_number(text: str) -> int:
    """Argument type: a TCP port from 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``app``."""
    app = subparsers.add_parser(
        "app",
        help="start the interactive classroom app in the browser",
        description="Serve the classroom app (Mesa SolaraViz): pick a scenario and park, move "
        "policy sliders, step or play, and watch exchanges appear on the park map; "
        "a side-by-side mode runs a second scenario on the same seed. Needs the "
        "optional extra: pip install 'symbiosis[app]'.",
    )
    app.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"port to serve on (default: {DEFAULT_PORT})",
    )
    app.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}, this machine only)",
    )
    app.add_argument(
        "--park",
        action="append",
        default=[],
        metavar="FILE.toml",
        help="also offer this park file in the park picker (repeatable; see "
        "'symbiosis park-from-table' to make one from a facility table)",
    )
    app.add_argument(
        "--open", action="store_true", help="also open the address in the default web browser"
    )
    app.add_argument(
        "--session-timeout",
        type=seconds,
        default=None,
        metavar="SECONDS",
        help="how long a closed page's session is kept for a reconnect before it is freed "
        f"(default: {DEFAULT_SESSION_TIMEOUT_S}, or ${SESSION_TIMEOUT_VARIABLE} if set)",
    )
    app.set_defaults(func=_app)


def park_files_variable(paths: list[str]) -> str:
    """The value of ``$SYMBIOSIS_APP_PARKS`` for ``--park`` files: each checked, made absolute.

    Raises:
        scenarios.parks.ParkError: If a file is missing or not a valid park (one line naming it).
    """
    import os
    from pathlib import Path

    from scenarios.parks import load_park_spec

    for path in paths:
        load_park_spec(path)
    return os.pathsep.join(str(Path(path).resolve()) for path in paths)


def _app(args: argparse.Namespace) -> int:
    import contextlib
    import importlib.util
    import os
    import socket

    from scenarios.errors import InputError

    missing = [name for name in ("solara",) if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError(
            f"the app needs the optional [app] extra ({', '.join(missing)} not "
            "installed): pip install 'symbiosis[app]'"
        )
    parks = park_files_variable(args.park)  # checked before anything is served
    try:
        with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
            probe.bind((args.host, args.port))
    except OSError as error:
        raise InputError(
            f"cannot serve on {args.host}:{args.port}: {error.strerror} "
            "(choose another --port or --host)"
        ) from None
    os.environ[APP_PARKS_VARIABLE] = parks
    _limit_malloc_arenas(MALLOC_ARENAS)
    for name, value in SERVER_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if args.session_timeout is not None:
        os.environ[SESSION_TIMEOUT_VARIABLE] = f"{args.session_timeout}s"
    else:
        os.environ.setdefault(SESSION_TIMEOUT_VARIABLE, f"{DEFAULT_SESSION_TIMEOUT_S}s")

    import warnings

    from click.exceptions import Abort
    from solara.__main__ import cli

    # Served over plain http on this machine: Solara's advice on https cookies does not apply.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none", category=UserWarning)

    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"symbiosis app: serving on http://{host}:{args.port}/ (press Ctrl+C to stop)", flush=True
    )
    solara_args = [
        "run",
        APP_MODULE,
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--production",
        "--no-check-version",
        "--open" if args.open else "--no-open",
    ]
    try:
        with contextlib.suppress(KeyboardInterrupt, Abort):  # Ctrl+C; click turns it into Abort
            cli.main(args=solara_args, prog_name="symbiosis app", standalone_mode=False)
    finally:
        _stop_play_loops()
    print("symbiosis app: stopped", flush=True)
    _exit_soon()
    return 0


def _limit_malloc_arenas(arenas: int) -> None:
    """Let glibc's malloc use at most ``arenas`` heaps (before the server starts its threads).

    Does nothing on a C library without ``mallopt`` (musl, macOS).
    """
    import ctypes
    import ctypes.util

    m_arena_max = -8  # glibc's malloc.h
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    if mallopt is not None:
        mallopt(m_arena_max, arenas)


def _stop_play_loops() -> None:
    """Tell every session's play loop to end (they check within one frame)."""
    import sys

    app_module = sys.modules.get(APP_MODULE)
    if app_module is not None:
        app_module.SHUTDOWN.set()


def _exit_soon() -> None:
    """Exit within ``EXIT_GRACE_S`` even if a server thread does not end (one Ctrl+C is enough).

    The play loops end by themselves; this guards against threads of the web server that wait
    for a client that will not answer. The app writes no files, so nothing is left half-written.
    """
    import os
    import threading

    def leave() -> None:
        os._exit(0)

    timer = threading.Timer(EXIT_GRACE_S, leave)
    timer.daemon = True
    timer.start()
