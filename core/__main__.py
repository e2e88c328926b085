"""`python -m core`: the model-config command line."""

import sys

from .claude_code import hook_client
from .process_exit import exit_now

# A hook runs on Claude Code's critical path: hand it to the hook server before loading the command line.
_code = hook_client.hand_off(sys.argv[1:])
if _code is not None:
    exit_now(_code)

from .cli import main  # noqa: E402 - only when it is not a hook

exit_now(main())
