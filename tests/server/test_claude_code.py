"""Claude Code itself (npm @anthropic-ai/claude-code) connecting to the server: `claude mcp list` starts
each configured server, runs the handshake and prints `Connected` or the failure. It needs no login.

Claude Code is installed once per machine into pytest's cache directory with npm.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CLAUDE_CODE = "@anthropic-ai/claude-code@2.1.197"
REPO = Path(__file__).resolve().parents[2]
TOKEN = "claude-code-test-token"


@pytest.fixture(scope="session")
def claude(request: pytest.FixtureRequest) -> str:
    npm = shutil.which("npm")
    assert npm, "the Claude Code test needs node 20+ and npm on PATH"
    prefix = Path(request.config.cache.mkdir("claude-code-" + CLAUDE_CODE.rsplit("@", 1)[1]))
    binary = prefix / "node_modules" / ".bin" / "claude"
    if not binary.exists():
        env = dict(os.environ, npm_config_cache=str(prefix / ".npm-cache"), npm_config_update_notifier="false")
        subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", CLAUDE_CODE],
            check=True,
            env=env,
            capture_output=True,
            timeout=300,
        )
    return str(binary)


@pytest.fixture
def claude_env(server_env: Callable[..., dict[str, str]], isolated_env: Path) -> dict[str, str]:
    """Claude Code with its own config dir (conftest points CLAUDE_CONFIG_DIR at the test's tmp dir),
    trusting the project's .mcp.json, and this interpreter's bin directory first on PATH."""
    config = Path(os.environ["CLAUDE_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"enableAllProjectMcpServers": True}))
    env = server_env(CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", DISABLE_AUTOUPDATER="1")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def mcp_list(claude: str, env: dict[str, str], cwd: Path) -> dict[str, str]:
    """Server name -> the status `claude mcp list` printed for it."""
    proc = subprocess.run([claude, "mcp", "list"], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return {
        line.split(":", 1)[0]: line.rsplit(" - ", 1)[-1]
        for line in proc.stdout.splitlines()
        if " - " in line and ":" in line
    }


def test_claude_code_connects_to_the_checkouts_mcp_json(claude: str, claude_env: dict[str, str]) -> None:
    statuses = mcp_list(claude, claude_env, REPO)
    assert "Connected" in statuses["model-config"], statuses


def test_claude_code_connects_over_http_with_the_token_only(
    claude: str, claude_env: dict[str, str], start_http: Callable[..., str], tmp_path: Path
) -> None:
    url = start_http("http", MODEL_CONFIG_TOKEN=TOKEN)
    add = [claude, "mcp", "add", "-s", "user", "--transport", "http"]
    for args in (["with-token", url, "--header", f"Authorization: Bearer {TOKEN}"], ["without-token", url]):
        subprocess.run([*add, *args], check=True, capture_output=True, env=claude_env, cwd=tmp_path, timeout=60)
    statuses = mcp_list(claude, claude_env, tmp_path)
    assert "Connected" in statuses["with-token"], statuses
    assert "Connected" not in statuses["without-token"], statuses
