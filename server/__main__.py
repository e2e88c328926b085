"""`model-config serve` / `python -m server`: run the MCP server (stdio by default).

Start-up matters (Claude Code starts one stdio server per session), so nothing heavy is imported
until the arguments are known to be good.
"""

from __future__ import annotations

import argparse
import logging
import sys

DEFAULT_PORT = 8765


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="model-config serve",
        description="Run the model-config MCP server. Logs go to stderr; in stdio mode stdout carries the protocol.",
    )
    parser.add_argument(
        "--transport",
        choices=("stdio", "sse", "http"),
        default="stdio",
        help="stdio (default), sse (HTTP+SSE at /sse), or http (Streamable HTTP at /mcp)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="HTTP/SSE bind address (default 127.0.0.1; any other address needs a token)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"HTTP/SSE port (default {DEFAULT_PORT}; 0 = any free)"
    )
    parser.add_argument("--db", help="usage database (default $MODEL_CONFIG_DB, else the user data directory)")
    parser.add_argument(
        "--config-dir",
        help="directory holding the config files (default: $MODEL_CONFIG_DIR, else "
        "the user config dir and the project's .claude/config/)",
    )
    parser.add_argument(
        "--token-file",
        help="file holding the bearer token for HTTP/SSE (default $MODEL_CONFIG_TOKEN, else $MODEL_CONFIG_TOKEN_FILE)",
    )
    parser.add_argument(
        "--export-dir",
        help="the only directory export tools may write to (default "
        "$MODEL_CONFIG_EXPORT_DIR, else exports/ next to the database)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another host name clients may use in Host and Origin headers (repeatable)",
    )
    parser.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not 0 <= args.port <= 65535:
        return _refuse(f"--port must be from 0 to 65535, got {args.port}")

    from .security import HttpPolicy, SecurityConfigError, load_token

    policy = None
    if args.transport != "stdio":
        try:
            policy = HttpPolicy.for_bind(args.host, load_token(args.token_file), args.allow_host)
        except SecurityConfigError as exc:
            return _refuse(str(exc))
        if policy.token is None:
            logging.getLogger("model_config.server").warning(
                "no bearer token: any local process can call this server (set MODEL_CONFIG_TOKEN)"
            )

    from .app import build_server
    from .state import ServerOptions, ServerState
    from .transports import ListenError, serve

    state = ServerState(ServerOptions(db_path=args.db, config_dir=args.config_dir, export_dir=args.export_dir))
    try:
        serve(build_server(state), args.transport, host=args.host, port=args.port, policy=policy)
    except KeyboardInterrupt:
        pass
    except ListenError as exc:
        return _refuse(str(exc))
    finally:
        state.close()
    return 0


def _refuse(message: str) -> int:
    print(f"model-config serve: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
