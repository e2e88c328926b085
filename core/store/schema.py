"""The ledger's schema: sqlite-utils migrations, applied in order, never edited once shipped."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

BUCKET_US = 15 * 60 * 1_000_000
DAY_BUCKETS = 96  # 15-minute buckets in a UTC day (usage_totals_day)
MAX_US = 2**62

# The schema is a set of sqlite-utils migrations. They are listed here in order and handed to a
# `Migrations` object only when one is pending: opening a ledger that is up to date (every process
# but the first, every hook run) reads the applied names with plain sqlite3 and never imports
# sqlite-utils (~45 ms of start-up, most of a hook's budget). `migrations` is that object, built on
# first use.
MIGRATION_SET = "model_config"
MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite_utils.migrations.Migrations.migrations_table
_MIGRATIONS: list[Callable[[Database], None]] = []


def _migration(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    """Register a migration (named after its function, like `Migrations()` does) in order."""
    _MIGRATIONS.append(fn)
    return fn


_migrations_obj: Migrations | None = None


def _build_migrations() -> Migrations:
    global _migrations_obj
    if _migrations_obj is None:
        from sqlite_utils.migrations import Migrations

        built = Migrations(MIGRATION_SET)
        for fn in _MIGRATIONS:
            built()(fn)
        _migrations_obj = built
    return _migrations_obj


USAGE_COLUMNS = (
    "record_id",
    "request_id",
    "ts_us",
    "agent_type",
    "model",
    "priced_model",
    "project_id",
    "session_id",
    "task_description",
    "complexity",
    "input_tokens",
    "output_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "web_search_requests",
    "batch",
    "fast",
    "priced",
    "price_note",
    "input_cost_pico",
    "output_cost_pico",
    "cache_write_cost_pico",
    "cache_read_cost_pico",
    "web_search_cost_pico",
    "cost_pico",
    "source",
    "created_us",
)
_SUM_COLUMNS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens", "cost_pico")


@_migration
def m001_usage(db: Database) -> None:
    # One row per model call. Money in integer pico-dollars; time in UTC microseconds.
    db.execute(
        """
        CREATE TABLE usage (
            id INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL UNIQUE,
            request_id TEXT UNIQUE,
            ts_us INTEGER NOT NULL,
            agent_type TEXT NOT NULL,
            model TEXT NOT NULL,
            priced_model TEXT,
            project_id TEXT,
            session_id TEXT,
            task_description TEXT,
            complexity TEXT,
            input_tokens INTEGER NOT NULL CHECK (input_tokens >= 0),
            output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
            cache_write_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
            cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0
                CHECK (cache_write_1h_tokens >= 0 AND cache_write_1h_tokens <= cache_write_tokens),
            cache_read_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
            web_search_requests INTEGER NOT NULL DEFAULT 0 CHECK (web_search_requests >= 0),
            batch INTEGER NOT NULL DEFAULT 0,
            fast INTEGER NOT NULL DEFAULT 0,
            priced INTEGER NOT NULL DEFAULT 1,
            price_note TEXT,
            input_cost_pico INTEGER NOT NULL DEFAULT 0,
            output_cost_pico INTEGER NOT NULL DEFAULT 0,
            cache_write_cost_pico INTEGER NOT NULL DEFAULT 0,
            cache_read_cost_pico INTEGER NOT NULL DEFAULT 0,
            web_search_cost_pico INTEGER NOT NULL DEFAULT 0,
            cost_pico INTEGER NOT NULL DEFAULT 0,
            source TEXT NOT NULL DEFAULT 'api',
            created_us INTEGER NOT NULL
        )
        """
    )
    # Window scans (exports, window edges, recent history).
    db.execute("CREATE INDEX usage_ts ON usage(ts_us)")
    # Per-agent analysis (efficiency, recommendations) over a window.
    db.execute("CREATE INDEX usage_agent_ts ON usage(agent_type, ts_us)")
    # Session summaries: sessions are too many to roll up.
    db.execute("CREATE INDEX usage_session_ts ON usage(session_id, ts_us)")


@_migration
def m002_totals(db: Database) -> None:
    # 15-minute rollups per scope, kept by trigger; see the module docstring.
    db.execute(
        """
        CREATE TABLE usage_totals (
            scope TEXT NOT NULL,
            bucket INTEGER NOT NULL,
            ops INTEGER NOT NULL,
            unpriced_ops INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_write_tokens INTEGER NOT NULL,
            cache_read_tokens INTEGER NOT NULL,
            cost_pico INTEGER NOT NULL,
            PRIMARY KEY (scope, bucket)
        ) WITHOUT ROWID
        """
    )
    upsert = """
        INSERT INTO usage_totals VALUES (
            {scope}, NEW.ts_us / {bucket}, 1, 1 - NEW.priced, NEW.input_tokens, NEW.output_tokens,
            NEW.cache_write_tokens, NEW.cache_read_tokens, NEW.cost_pico)
        ON CONFLICT (scope, bucket) DO UPDATE SET
            ops = ops + 1,
            unpriced_ops = unpriced_ops + excluded.unpriced_ops,
            input_tokens = input_tokens + excluded.input_tokens,
            output_tokens = output_tokens + excluded.output_tokens,
            cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
            cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
            cost_pico = cost_pico + excluded.cost_pico;
    """
    project = upsert.replace("VALUES (", "SELECT ").replace(
        "NEW.cost_pico)", "NEW.cost_pico WHERE NEW.project_id IS NOT NULL"
    )
    body = "".join(
        [
            upsert.format(scope="'*'", bucket=BUCKET_US),
            upsert.format(scope="'agent:' || NEW.agent_type", bucket=BUCKET_US),
            upsert.format(scope="'model:' || COALESCE(NEW.priced_model, NEW.model)", bucket=BUCKET_US),
            project.format(scope="'project:' || NEW.project_id", bucket=BUCKET_US),
        ]
    )
    # The bulk path adds its rows' totals itself, aggregated, in the same transaction (one upsert per
    # scope and bucket instead of four per row), and pruning keeps rollups on purpose; both say so
    # through model_config_skip_totals(), a function every Ledger connection registers. A connection
    # without it cannot insert or delete: nothing can drift.
    db.execute(
        f"CREATE TRIGGER usage_totals_insert AFTER INSERT ON usage WHEN NOT model_config_skip_totals() BEGIN {body} END"
    )
    # Records are immutable: refuse updates outright rather than let rollups drift.
    db.execute(
        "CREATE TRIGGER usage_immutable BEFORE UPDATE ON usage BEGIN "
        "SELECT RAISE(ABORT, 'usage records are immutable'); END"
    )


@_migration
def m003_alerts(db: Database) -> None:
    # One row per (scope, period, window, level): lets callers tell a new alert from an old one.
    db.execute(
        """
        CREATE TABLE budget_alerts (
            scope TEXT NOT NULL,
            period TEXT NOT NULL,
            window_start_us INTEGER NOT NULL,
            level TEXT NOT NULL,
            spending_pico INTEGER NOT NULL,
            limit_pico INTEGER NOT NULL,
            created_us INTEGER NOT NULL,
            PRIMARY KEY (scope, period, window_start_us, level)
        )
        """
    )


@_migration
def m004_supersede_and_imports(db: Database) -> None:
    # A record can be superseded by a later, larger snapshot of the same request (Claude Code writes
    # streaming snapshots of one response): delete + insert in one transaction, rollups follow.
    # Pruning deletes with model_config_skip_totals() on, so rollups keep what was pruned.
    neg = f"""
        UPDATE usage_totals SET
            ops = ops - 1,
            unpriced_ops = unpriced_ops - (1 - OLD.priced),
            input_tokens = input_tokens - OLD.input_tokens,
            output_tokens = output_tokens - OLD.output_tokens,
            cache_write_tokens = cache_write_tokens - OLD.cache_write_tokens,
            cache_read_tokens = cache_read_tokens - OLD.cache_read_tokens,
            cost_pico = cost_pico - OLD.cost_pico
        WHERE bucket = OLD.ts_us / {BUCKET_US} AND scope IN (
            '*', 'agent:' || OLD.agent_type, 'model:' || COALESCE(OLD.priced_model, OLD.model),
            'project:' || OLD.project_id);
    """
    db.execute(
        f"CREATE TRIGGER usage_totals_delete AFTER DELETE ON usage WHEN NOT model_config_skip_totals() BEGIN {neg} END"
    )
    # How far each transcript file was read, so imports are incremental (see core.claude_code).
    db.execute(
        """
        CREATE TABLE import_files (
            path TEXT PRIMARY KEY,
            device INTEGER,
            inode INTEGER,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            head_hash TEXT,
            lines INTEGER NOT NULL DEFAULT 0,
            updated_us INTEGER NOT NULL
        )
        """
    )


@_migration
def m005_day_totals(db: Database) -> None:
    # Whole-UTC-day sums of the 15-minute rollups: a monthly budget check (with its three-window
    # forecast history) read ~12,000 bucket rows and took ~2 ms at 1M records; from days it reads
    # ~120. Kept by triggers on usage_totals itself, so every writer of the 15-minute rollups (the
    # usage triggers, the bulk path, older versions of this code) keeps the days equal to their sum.
    db.execute(
        """
        CREATE TABLE usage_totals_day (
            scope TEXT NOT NULL,
            day INTEGER NOT NULL,
            ops INTEGER NOT NULL,
            unpriced_ops INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_write_tokens INTEGER NOT NULL,
            cache_read_tokens INTEGER NOT NULL,
            cost_pico INTEGER NOT NULL,
            PRIMARY KEY (scope, day)
        ) WITHOUT ROWID
        """
    )
    cols = (
        "ops",
        "unpriced_ops",
        "input_tokens",
        "output_tokens",
        "cache_write_tokens",
        "cache_read_tokens",
        "cost_pico",
    )
    db.execute(
        f"INSERT INTO usage_totals_day SELECT scope, bucket / {DAY_BUCKETS}, "
        f"{', '.join(f'SUM({c})' for c in cols)} FROM usage_totals GROUP BY scope, bucket / {DAY_BUCKETS}"
    )

    def add(values: str) -> str:
        return (
            f"INSERT INTO usage_totals_day VALUES (NEW.scope, NEW.bucket / {DAY_BUCKETS}, {values}) "
            f"ON CONFLICT (scope, day) DO UPDATE SET {', '.join(f'{c} = {c} + excluded.{c}' for c in cols)};"
        )

    db.execute(
        f"CREATE TRIGGER usage_totals_day_insert AFTER INSERT ON usage_totals BEGIN "
        f"{add(', '.join(f'NEW.{c}' for c in cols))} END"
    )
    db.execute(
        f"CREATE TRIGGER usage_totals_day_update AFTER UPDATE ON usage_totals BEGIN "
        f"{add(', '.join(f'NEW.{c} - OLD.{c}' for c in cols))} END"
    )
    db.execute(
        f"CREATE TRIGGER usage_totals_day_delete AFTER DELETE ON usage_totals BEGIN "
        f"UPDATE usage_totals_day SET {', '.join(f'{c} = {c} - OLD.{c}' for c in cols)} "
        f"WHERE scope = OLD.scope AND day = OLD.bucket / {DAY_BUCKETS}; END"
    )
