"""HTTP security policy and the serve command's refusals (no server is started here)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from server.__main__ import main
from server.security import HttpPolicy, SecurityConfigError, is_loopback, load_token

LOCAL = HttpPolicy.for_bind("127.0.0.1", "tok")


@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        ({"host": "127.0.0.1:8765", "authorization": "Bearer tok"}, None),
        ({"host": "localhost:8765", "authorization": "bearer tok"}, None),
        ({"host": "[::1]:8765", "authorization": "Bearer tok"}, None),
        ({"host": "localhost", "authorization": "Bearer tok", "origin": "http://localhost:6274"}, None),
        ({"host": "localhost", "authorization": "Bearer tok", "origin": "https://127.0.0.1"}, None),
        ({"host": "localhost", "authorization": "Bearer tok", "origin": "http://[::1]:3000"}, None),
        ({"host": "evil.example:8765", "authorization": "Bearer tok"}, 421),
        ({"host": "", "authorization": "Bearer tok"}, 421),
        ({"host": "localhost", "authorization": "Bearer tok", "origin": "http://evil.example"}, 403),
        ({"host": "localhost", "authorization": "Bearer tok", "origin": "null"}, 403),
        ({"host": "localhost", "authorization": "Bearer tok", "origin": "http://localhost.evil.example"}, 403),
        ({"host": "localhost", "authorization": "Bearer tok", "origin": "file://localhost"}, 403),
        ({"host": "localhost", "authorization": "Bearer tok", "origin": "http://localhost:notaport"}, 403),
        ({"host": "localhost"}, 401),
        ({"host": "localhost", "authorization": "Bearer tok2"}, 401),
        ({"host": "localhost", "authorization": "Basic tok"}, 401),
        ({"host": "localhost", "authorization": "tok"}, 401),
    ],
)
def test_loopback_policy(headers: dict[str, str], refusal: int | None) -> None:
    result = LOCAL.check(headers)
    assert (result[0] if result else None) == refusal


def test_loopback_without_token_needs_no_authorization() -> None:
    policy = HttpPolicy.for_bind("localhost", None)
    assert policy.check({"host": "localhost:1"}) is None
    assert policy.check({"host": "localhost:1", "origin": "http://evil.example"}) == (403, "Origin not allowed")


def test_non_loopback_bind_needs_a_token() -> None:
    for host in ("0.0.0.0", "::", "192.168.1.20", "example.com"):
        with pytest.raises(SecurityConfigError, match="without a token"):
            HttpPolicy.for_bind(host, None)


def test_wildcard_bind_checks_token_and_origin_but_not_host() -> None:
    policy = HttpPolicy.for_bind("0.0.0.0", "tok")
    assert policy.check({"host": "10.0.0.5:8765", "authorization": "Bearer tok"}) is None
    assert policy.check({"host": "10.0.0.5:8765"}) == (401, "missing or invalid bearer token")
    named = HttpPolicy.for_bind("0.0.0.0", "tok", ["mcp.internal"])
    assert (
        named.check({"host": "mcp.internal:8765", "authorization": "Bearer tok", "origin": "http://mcp.internal"})
        is None
    )
    assert named.check({"host": "10.0.0.5:8765", "authorization": "Bearer tok"}) == (421, "Host not allowed")


def test_specific_address_is_an_allowed_host() -> None:
    policy = HttpPolicy.for_bind("192.168.1.20", "tok")
    assert policy.check({"host": "192.168.1.20:8765", "authorization": "Bearer tok"}) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.1.1.1", False),
        ("myhost", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_token_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_token() is None
    monkeypatch.setenv("MODEL_CONFIG_TOKEN", " from-env ")
    assert load_token() == "from-env"
    path = tmp_path / "token"
    path.write_text("from-file\n")
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert load_token(str(path)) == "from-file"  # --token-file wins over the environment
    monkeypatch.delenv("MODEL_CONFIG_TOKEN")
    monkeypatch.setenv("MODEL_CONFIG_TOKEN_FILE", str(path))
    assert load_token() == "from-file"
    (tmp_path / "empty").write_text("  \n")
    with pytest.raises(SecurityConfigError, match="is empty"):
        load_token(str(tmp_path / "empty"))
    with pytest.raises(SecurityConfigError, match="cannot be read"):
        load_token(str(tmp_path / "missing"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--transport", "http", "--host", "0.0.0.0"], "refusing to listen on 0.0.0.0 without a token"),
        (["--transport", "sse", "--host", "10.0.0.1"], "refusing to listen on 10.0.0.1 without a token"),
        (["--transport", "http", "--token-file", "/nonexistent/token"], "cannot be read"),
        (["--transport", "http", "--port", "70000"], "--port must be from 0 to 65535"),
    ],
)
def test_serve_refuses_unsafe_or_bad_options(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_serve_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["--transport", "http", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_serve_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for option in ("--transport", "--host", "--port", "--db", "--config-dir", "--token-file", "--export-dir"):
        assert option in out
