"""What one server process holds: where its data lives, its manager, and the auto-import throttle.

Free of MCP imports. One `ServerState` is shared by every connection of a process (stdio has one;
SSE opens the server lifespan per connection, Streamable HTTP once), so it is created by whoever
starts the server and closed by them, never by a lifespan.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core import ModelConfigManager
from core.paths import default_db_path

logger = logging.getLogger("model_config.server")

# Reporting tools import new Claude Code transcript lines first (when enabled), at most this often.
AUTO_IMPORT_INTERVAL_S = 5.0


@dataclass(frozen=True)
class ServerOptions:
    db_path: str | None = None
    config_dir: str | None = None
    export_dir: str | None = None


class ServerState:
    """The manager (opened on first use) and the per-process policies around it."""

    def __init__(self, options: ServerOptions | None = None) -> None:
        self.options = options or ServerOptions()
        self._manager: ModelConfigManager | None = None
        self._open_lock = threading.Lock()
        self._import_lock = threading.Lock()
        self._last_import = float("-inf")
        self._importer_missing = False

    @property
    def manager(self) -> ModelConfigManager:
        if self._manager is None:
            with self._open_lock:
                if self._manager is None:
                    self._manager = ModelConfigManager(self.options.db_path, self.options.config_dir)
        return self._manager

    @property
    def db_path(self) -> str:
        return self._manager.db_path if self._manager else str(self.options.db_path or default_db_path())

    @property
    def export_dir(self) -> Path:
        """Where export tools may write: --export-dir, $MODEL_CONFIG_EXPORT_DIR, else `exports/` by the database."""
        explicit = self.options.export_dir or os.environ.get("MODEL_CONFIG_EXPORT_DIR")
        if explicit:
            return Path(explicit).expanduser()
        return Path(self.db_path).expanduser().parent / "exports"

    def refresh(self) -> None:
        """Before a report: import new Claude Code usage when `claude_code.auto_import` is on (throttled)."""
        manager = self.manager
        if self._importer_missing or not manager.settings.cost.claude_code.auto_import:
            return
        if time.monotonic() - self._last_import < AUTO_IMPORT_INTERVAL_S:
            return
        with self._import_lock:  # a concurrent report waits for the import in progress, then reads its result
            if time.monotonic() - self._last_import < AUTO_IMPORT_INTERVAL_S:
                return
            try:
                from core.claude_code.importer import import_claude_code
            except ImportError:
                self._importer_missing = True
                logger.warning("claude_code.auto_import is on but this installation has no Claude Code importer")
                return
            try:
                import_claude_code(manager)
            except Exception:  # the importer is another module: a failed import must not fail the report
                logger.exception("automatic Claude Code import failed; reporting on the ledger as it is")
            finally:
                self._last_import = time.monotonic()

    def close(self) -> None:
        with self._open_lock:
            if self._manager is not None:
                self._manager.close()
                self._manager = None
