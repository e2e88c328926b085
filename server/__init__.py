"""The MCP server: a thin adapter over `core` (tools, transports, HTTP security).

Importing this package is cheap; `server.app.build_server()` builds the server and pulls in the
MCP SDK. Run it with `model-config serve` or `python -m server`.
"""
