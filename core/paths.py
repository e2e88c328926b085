"""Where data lives: `$MODEL_CONFIG_DB`, else the platform's user data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def default_db_path() -> Path:
    explicit = os.environ.get("MODEL_CONFIG_DB")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform.startswith("linux") or os.environ.get("XDG_DATA_HOME"):
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        return base / "model-config" / "usage.db"
    from platformdirs import user_data_dir

    return Path(user_data_dir("model-config", appauthor=False)) / "usage.db"
