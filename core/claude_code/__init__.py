"""Claude Code integration: import real usage from transcripts, hooks, subagent model advice.

Synchronous and free of MCP, like the rest of `core`. Entry points: `importer.import_claude_code`
(the library call), `cli.register` (the `model-config` subcommands) and `hooks` (what Claude Code
runs on Stop, SubagentStop, PreToolUse and SessionStart).
"""
