"""``python -m server``: the pyperf language server, over stdio (default) or TCP.

``--stdio`` is accepted (the VS Code client adds it). Logs go to stderr and, from warnings up, to the client's
``window/logMessage``; stdout carries the LSP stream and nothing else. Either transport reads frames through
``server.transport``, which survives malformed input (pygls's own reader goes deaf after one bad frame).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

DESCRIPTION = """\
The pyperf language server: diagnostics, hovers and "Optimize for speed" for
Python files, for any LSP client (VS Code, Neovim, ...). It speaks LSP over
stdin/stdout unless --tcp is given; logs go to stderr."""
# Real commands, shown in --help and parsed by tests/test_cli_help.py so none goes stale.
EXAMPLES = ("--stdio", "--tcp --port 2087 --log-level DEBUG")  # the arguments after the program


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from kb.cli_help import examples_epilog, invoked_as

    prog = invoked_as("python -m server", "pyperf-lsp")
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, epilog=examples_epilog(prog, EXAMPLES),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="speak LSP over stdin/stdout (the default)")
    transport.add_argument("--tcp", action="store_true", help="listen on --host:--port instead")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="the least level logged to stderr (INFO)")
    return parser.parse_args(argv)


def _lsp_streams() -> tuple:
    """Private copies of stdin/stdout for the LSP stream; fds 0 and 1 then point at /dev/null and stderr.

    Every process started afterwards (model host, jobs, sandbox zygotes) inherits those harmless fds, and a
    stray print() anywhere in this process lands on stderr, so nothing but pygls writes to the client.
    """
    lsp_in = os.fdopen(os.dup(0), "rb")
    lsp_out = os.fdopen(os.dup(1), "wb")
    sys.stdout.flush()
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = sys.stderr
    return lsp_in, lsp_out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="pyperf server %(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pygls").setLevel(max(logging.WARNING, logging.getLogger().level))

    from server.lsp import create_server
    from server.transport import serve_stdio, serve_tcp

    server = create_server()
    try:
        if args.tcp:
            serve_tcp(server, args.host, args.port)
        else:
            lsp_in, lsp_out = _lsp_streams()
            serve_stdio(server, lsp_in, lsp_out)
    finally:
        server.stop_workers()
    return 0 if server.shutdown_requested else 1


if __name__ == "__main__":
    code = main()
    logging.shutdown()
    sys.stderr.flush()
    # The stdin reader thread may still be blocked in read(): do not wait for it.
    os._exit(code)
