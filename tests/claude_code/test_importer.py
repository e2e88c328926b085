"""Importing fixture transcripts: dedupe, incremental reads, replaced files, mapping to the ledger."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import msgspec
import pytest

from core import ModelConfigManager
from core.claude_code.discovery import config_dirs, session_files, transcript_files
from core.claude_code.importer import import_claude_code

from .conftest import CWD, SESSION, assistant, rows, usage, user_line, write


def test_one_line_per_content_block_counts_once(project: Path, manager: ModelConfigManager) -> None:
    write(project / f"{SESSION}.jsonl", [user_line()] + [assistant("msg_1", "req_1") for _ in range(3)])
    s = import_claude_code(manager)
    assert (s.files, s.lines, s.usage_lines, s.new_records, s.duplicates_skipped) == (1, 4, 3, 1, 2)
    [row] = rows(manager)
    assert row["request_id"] == "msg_1:req_1"
    assert (row["agent_type"], row["project_id"], row["session_id"]) == ("main", "shop-api", SESSION)
    assert row["source"] == "claude-code"


@pytest.mark.parametrize("outputs", [[1, 5, 50], [50, 5, 1], [5, 50, 1]])
def test_streaming_snapshots_keep_the_largest(project: Path, manager: ModelConfigManager, outputs: list[int]) -> None:
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", u=usage(out=o)) for o in outputs])
    import_claude_code(manager)
    assert [r["output_tokens"] for r in rows(manager)] == [50]


def test_snapshot_seen_by_an_earlier_import_is_superseded(project: Path, manager: ModelConfigManager) -> None:
    path = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", u=usage(out=1))])
    import_claude_code(manager)
    write(path, [assistant("msg_1", "req_1", u=usage(out=300))], mode="a")
    s = import_claude_code(manager)
    assert (s.new_records, s.superseded) == (0, 1)
    [row] = rows(manager)
    assert row["output_tokens"] == 300
    totals = manager.ledger.totals("*")
    assert (totals.ops, totals.output_tokens, totals.cost_pico) == (1, 300, row["cost_pico"])  # rollups followed


def test_sidechain_replay_keeps_the_parent(project: Path, manager: ModelConfigManager) -> None:
    main = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_parent", u=usage(read=20))])
    sub = project / SESSION / "subagents" / "agent-a1.jsonl"
    write(sub, [assistant("msg_1", "req_replay", sidechain=True, agentId="a1", u=usage(read=50_000)),
                assistant("msg_2", "req_2", sidechain=True, agentId="a1", model="claude-haiku-4-5-20251001")])
    s = import_claude_code(manager)
    assert (s.new_records, s.duplicates_skipped) == (2, 1)
    by_key = {r["request_id"]: r for r in rows(manager)}
    assert by_key["msg_1:req_parent"]["cache_read_tokens"] == 20
    assert by_key["msg_2:req_2"]["agent_type"] == "subagent"  # no meta file
    assert main.exists()


def test_replay_imported_first_is_superseded_by_the_parent(project: Path, manager: ModelConfigManager) -> None:
    sub = write(project / SESSION / "subagents" / "agent-a1.jsonl",
                [assistant("msg_1", "req_replay", sidechain=True, u=usage(read=50_000))])
    import_claude_code(manager, [str(sub)])
    main = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_parent", u=usage(read=20))])
    s = import_claude_code(manager, [str(main), str(sub)])
    assert s.superseded == 1
    [row] = rows(manager)
    assert (row["request_id"], row["agent_type"], row["cache_read_tokens"]) == ("msg_1:req_parent", "main", 20)


def test_a_copy_superseding_a_stored_record_is_itself_replaced_before_it_is_written(
        project: Path, manager: ModelConfigManager) -> None:
    # Run 1 stores a sidechain replay. Run 2 reads the parent message in the session's transcript (it
    # supersedes the stored replay), then a later snapshot of it in a resumed session's file, which takes
    # the place of that copy before it is written: one record, the largest copy.
    sub = write(project / SESSION / "subagents" / "agent-a1.jsonl",
                [assistant("msg_1", "req_replay", sidechain=True, u=usage(read=50_000))])
    import_claude_code(manager, [str(sub)])
    first = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_parent", u=usage(out=5))])
    resumed = write(project / "ffff-resumed.jsonl",
                    [assistant("msg_1", "req_parent", session="ffff-resumed", u=usage(out=50))])
    s = import_claude_code(manager, [str(first), str(sub), str(resumed)])
    assert (s.new_records, s.superseded, s.duplicates_skipped) == (0, 1, 1)
    [row] = rows(manager)
    assert (row["request_id"], row["agent_type"], row["output_tokens"]) == ("msg_1:req_parent", "main", 50)
    totals = manager.ledger.totals("*")
    assert (totals.ops, totals.output_tokens, totals.cache_read_tokens) == (1, 50, 0)  # rollups followed


def test_a_replay_superseding_a_stored_replay_gives_way_to_the_parent(project: Path, manager: ModelConfigManager
                                                                      ) -> None:
    # A larger sidechain replay supersedes the stored one, then the parent (never a sidechain) supersedes it,
    # all in one run and under three request ids.
    old = write(project / SESSION / "subagents" / "agent-a1.jsonl",
                [assistant("msg_1", "req_replay_1", sidechain=True, u=usage(read=10))])
    import_claude_code(manager, [str(old)])
    main = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_parent", u=usage(read=20))])
    # Another session's subagent (read first: its folder sorts before the transcript) replays it too.
    larger = write(project / "0000-other" / "subagents" / "agent-a0.jsonl",
                   [assistant("msg_1", "req_replay_2", session="0000-other", sidechain=True, u=usage(read=90_000))])
    s = import_claude_code(manager, [str(larger), str(main), str(old)])
    assert (s.new_records, s.superseded) == (0, 1)
    [row] = rows(manager)
    assert (row["request_id"], row["agent_type"], row["cache_read_tokens"]) == ("msg_1:req_parent", "main", 20)
    assert manager.ledger.totals("*").ops == 1


def test_subagent_type_from_meta_file(project: Path, manager: ModelConfigManager) -> None:
    sub = project / SESSION / "subagents"
    write(sub / "agent-a1.jsonl", [assistant("msg_1", "req_1", sidechain=True)])
    (sub / "agent-a1.meta.json").write_text(json.dumps({"toolUseId": "t", "agentType": "code-reviewer",
                                                        "description": "Reviews diffs"}))
    write(sub / "agent-a2.jsonl", [assistant("msg_2", "req_2", sidechain=True)])
    (sub / "agent-a3.meta.json").write_text("{broken")
    write(sub / "agent-a3.jsonl", [assistant("msg_3", "req_3", sidechain=True)])
    write(project / "agent-old.jsonl", [assistant("msg_4", "req_4", sidechain=True)])  # older layout
    import_claude_code(manager)
    types = {r["request_id"]: (r["agent_type"], r["session_id"]) for r in rows(manager)}
    assert types == {"msg_1:req_1": ("code-reviewer", SESSION), "msg_2:req_2": ("subagent", SESSION),
                     "msg_3:req_3": ("subagent", SESSION), "msg_4:req_4": ("subagent", SESSION)}


def test_synthetic_and_error_lines_are_not_usage(project: Path, manager: ModelConfigManager) -> None:
    write(project / f"{SESSION}.jsonl", [assistant("e1", None, model="<synthetic>", u=usage(0, 0)),
                                         assistant("e2", "r2", isApiErrorMessage=True, u=usage(0, 0)),
                                         assistant("msg_1", "req_1")])
    s = import_claude_code(manager)
    assert (s.synthetic_lines, s.new_records) == (2, 1)
    assert [r["model"] for r in rows(manager)] == ["claude-sonnet-4-5-20250929"]


def test_torn_last_line_is_read_when_complete(project: Path, manager: ModelConfigManager) -> None:
    path = project / f"{SESSION}.jsonl"
    full = json.dumps(assistant("msg_2", "req_2", u=usage(out=77)), separators=(",", ":"))
    write(path, [assistant("msg_1", "req_1"), full[:40]], newline=False)
    s1 = import_claude_code(manager)
    assert (s1.lines, s1.new_records, s1.malformed_lines) == (1, 1, 0)
    with path.open("a") as handle:
        handle.write(full[40:] + "\n")
    s2 = import_claude_code(manager)
    assert (s2.lines, s2.new_records, s2.malformed_lines) == (1, 1, 0)
    assert sorted(r["output_tokens"] for r in rows(manager)) == [10, 77]


def test_complete_last_line_without_newline_is_read(project: Path, manager: ModelConfigManager) -> None:
    path = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1")], newline=False)
    assert import_claude_code(manager).new_records == 1
    write(path, ["", json.dumps(assistant("msg_2", "req_2"))], mode="a")  # the newline arrives, then more
    s = import_claude_code(manager)
    assert (s.new_records, s.duplicates_skipped, s.malformed_lines) == (1, 0, 0)


def test_replaced_and_truncated_files_are_read_again_without_double_counting(
        project: Path, manager: ModelConfigManager) -> None:
    path = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1"), assistant("msg_2", "req_2")])
    import_claude_code(manager)
    # Replaced: a new file (new inode) under the same name, rewritten from the start.
    tmp = path.with_name("new.tmp")
    write(tmp, [assistant("msg_1", "req_1"), assistant("msg_2", "req_2"), assistant("msg_3", "req_3")])
    os.replace(tmp, path)
    s = import_claude_code(manager)
    assert (s.files_restarted, s.new_records, s.duplicates_skipped) == (1, 1, 2)
    # Truncated in place (shorter than what was read).
    write(path, [assistant("msg_4", "req_4")])
    s = import_claude_code(manager)
    assert (s.files_restarted, s.new_records) == (1, 1)
    # Rewritten in place, same length and more: the head changed, so it is read from the start.
    write(path, [assistant("msg_5", "req_4"), assistant("msg_6", "req_6")])
    s = import_claude_code(manager)
    assert (s.files_restarted, s.new_records) == (1, 2)
    assert len(rows(manager)) == 6


def test_importing_twice_adds_nothing(project: Path, manager: ModelConfigManager) -> None:
    write(project / f"{SESSION}.jsonl", [assistant(f"msg_{i}", f"req_{i}") for i in range(20)])
    first = import_claude_code(manager)
    second = import_claude_code(manager)
    assert first.new_records == 20
    assert (second.files, second.files_read, second.lines, second.new_records) == (1, 0, 0, 0)


def test_track_usage_of_an_imported_request_is_a_duplicate(project: Path, manager: ModelConfigManager) -> None:
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1")])
    import_claude_code(manager)
    record = manager.track_usage("main", "sonnet", 3, 10, request_id="msg_1:req_1")
    assert record.duplicate
    assert manager.ledger.totals("*").ops == 1


def test_tracked_request_is_not_replaced_by_an_import(project: Path, manager: ModelConfigManager) -> None:
    manager.track_usage("backend-engineer", "claude-sonnet-4-5", 1, 1, request_id="msg_1:req_1")
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", u=usage(out=999))])
    s = import_claude_code(manager)
    assert (s.new_records, s.duplicates_skipped) == (0, 1)
    [row] = rows(manager)
    assert (row["agent_type"], row["source"]) == ("backend-engineer", "api")


def test_unknown_models_are_recorded_unpriced(project: Path, manager: ModelConfigManager) -> None:
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", model="claude-experimental-9"),
                                         assistant("msg_2", "req_2", model="claude-experimental-9")])
    s = import_claude_code(manager)
    assert s.unknown_models == {"claude-experimental-9": 2}
    assert [(r["priced"], r["cost_pico"]) for r in rows(manager)] == [(0, 0), (0, 0)]


def test_one_hour_cache_writes_fast_mode_and_web_search(project: Path, manager: ModelConfigManager) -> None:
    write(project / f"{SESSION}.jsonl", [
        assistant("msg_1", "req_1", model="claude-haiku-4-5-20251001",
                  u=usage(0, 0, write_5m=1_000_000, write_1h=1_000_000)),
        assistant("msg_2", "req_2", model="claude-opus-4-6", u=usage(100_000, 0, speed="fast")),
        assistant("msg_3", "req_3", model="claude-haiku-4-5-20251001", u=usage(0, 0, searches=3)),
    ])
    import_claude_code(manager)
    by_key = {r["request_id"]: r for r in rows(manager)}
    haiku = by_key["msg_1:req_1"]
    assert (haiku["cache_write_tokens"], haiku["cache_write_1h_tokens"]) == (2_000_000, 1_000_000)
    assert haiku["cache_write_cost_pico"] == (1_250_000 + 2_000_000) * 10**6  # $1.25 + $2.00 per MTok
    opus = by_key["msg_2:req_2"]
    assert opus["fast"] == 1 and opus["cost_pico"] == 6 * 5 * 10**11  # 6x $5/MTok for 0.1 MTok
    assert by_key["msg_3:req_3"]["web_search_requests"] == 3
    assert by_key["msg_3:req_3"]["web_search_cost_pico"] == 3 * 10**10  # $10 per 1,000


def test_malformed_lines_are_counted_not_fatal(project: Path, manager: ModelConfigManager) -> None:
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1"), "garbage", '{"usage": {"oops"',
                                         assistant("msg_2", "req_2", u={"input_tokens": -5, "output_tokens": 1}),
                                         assistant("msg_3", "req_3")])
    s = import_claude_code(manager)
    assert (s.malformed_lines, s.new_records) == (3, 2)


def test_lines_without_usage_that_are_not_json_objects_are_malformed(project: Path, manager: ModelConfigManager
                                                                     ) -> None:
    path = project / f"{SESSION}.jsonl"
    write(path, [assistant("msg_1", "req_1"), user_line(), user_line("caf\u00e9 \u2713"), "{not json at all}",
                 '{"type":"user","message":}', '{"type":"user","x":1,}', "[1, 2]", '"text"', "", "   "])
    with path.open("ab") as handle:  # a JSON-shaped line whose string is not UTF-8; then one that is
        handle.write(b'{"type":"user","message":"\xff\xfe"}\n{"type":"user","message":"\xc3\xa9"}\n')
    s = import_claude_code(manager)
    # Blank lines are not lines; the three user lines and the assistant line are fine.
    assert (s.lines, s.malformed_lines, s.new_records) == (10, 6, 1)


def test_since_limits_the_run_and_loses_nothing(project: Path, manager: ModelConfigManager) -> None:
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", ts="2026-01-05T10:00:00Z"),
                                         assistant("msg_2", "req_2", ts="2026-02-05T10:00:00Z")])
    s = import_claude_code(manager, since=date(2026, 2, 1))
    assert (s.new_records, s.skipped_before_since) == (1, 1)
    s = import_claude_code(manager)
    assert (s.new_records, s.duplicates_skipped) == (1, 1)


def test_session_and_project_mapping(claude_dir: Path, manager: ModelConfigManager) -> None:
    folder = claude_dir / "projects" / "-Users-ana-notes-app"
    write(folder / "s1.jsonl", [assistant("msg_1", "req_1", session="s1", cwd="/Users/ana/notes app/docs")])
    obj = assistant("msg_2", "req_2")
    del obj["sessionId"], obj["cwd"]
    write(folder / "s2.jsonl", [obj])
    import_claude_code(manager)
    got = {r["request_id"]: (r["session_id"], r["project_id"]) for r in rows(manager)}
    assert got == {"msg_1:req_1": ("s1", "notes app"), "msg_2:req_2": ("s2", "-Users-ana-notes-app")}


def test_resumed_session_copies_count_once(project: Path, manager: ModelConfigManager) -> None:
    original = [assistant("msg_1", "req_1", session="s-old"), assistant("msg_2", "req_2", session="s-old")]
    write(project / "s-old.jsonl", original)
    write(project / "s-new.jsonl", [assistant("msg_1", "req_1", session="s-new"),
                                    assistant("msg_3", "req_3", session="s-new")])
    s = import_claude_code(manager)
    assert (s.new_records, s.duplicates_skipped) == (3, 1)


def test_progress_reports_bytes(project: Path, manager: ModelConfigManager) -> None:
    write(project / f"{SESSION}.jsonl", [assistant(f"msg_{i}", "r") for i in range(5)])
    seen = []
    import_claude_code(manager, progress=seen.append)
    assert seen and seen[-1].bytes_done == seen[-1].bytes_total > 0 and seen[-1].files_done == 1


def test_discovery(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = (isolated_env / n for n in ("a", "b", "c"))
    for d in (a, b):
        write(d / "projects" / "-p" / "s.jsonl", [assistant("m", "r")])
    c.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{a}, {b / 'projects'},{c}")
    assert config_dirs() == [a, b]
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    home = isolated_env / "home"
    write(home / ".claude" / "projects" / "-p" / "s.jsonl", [assistant("m", "r")])
    write(isolated_env / "xdg-config" / "claude" / "projects" / "-p" / "s.jsonl", [assistant("m", "r")])
    assert config_dirs() == [isolated_env / "xdg-config" / "claude", home / ".claude"]
    files = transcript_files([a, b / "projects" / "-p", a / "projects" / "-p" / "s.jsonl"])
    assert files == [a / "projects" / "-p" / "s.jsonl", b / "projects" / "-p" / "s.jsonl"]


def test_configured_paths_replace_the_defaults(isolated_env: Path, claude_dir: Path) -> None:
    other = isolated_env / "backup"
    write(other / "projects" / "-p" / "s.jsonl", [assistant("msg_1", "req_1")])
    write(claude_dir / "projects" / "-q" / "s.jsonl", [assistant("msg_2", "req_2")])
    (isolated_env / "config" / "cost-optimization.json").write_text(
        json.dumps({"claude_code": {"paths": [str(other)]}}))
    with ModelConfigManager() as m:
        s = import_claude_code(m)
        assert (s.roots, s.new_records) == ([str(other)], 1)


def test_session_files(project: Path) -> None:
    main = write(project / f"{SESSION}.jsonl", [assistant("m", "r")])
    sub = write(project / SESSION / "subagents" / "agent-a1.jsonl", [assistant("m2", "r")])
    (project / SESSION / "subagents" / "agent-a1.meta.json").write_text("{}")
    assert session_files(main) == [main, sub]


def test_subagent_type_given_by_the_hook(project: Path, manager: ModelConfigManager) -> None:
    sub = write(project / SESSION / "subagents" / "agent-a9.jsonl", [assistant("msg_1", "req_1", sidechain=True)])
    import_claude_code(manager, [str(sub)], agent_types={str(sub): "test-runner"})
    assert [r["agent_type"] for r in rows(manager)] == ["test-runner"]


def test_budget_alerts_are_recorded(project: Path, isolated_env: Path) -> None:
    (isolated_env / "config" / "cost-optimization.json").write_text(
        json.dumps({"budget_limits": {"daily": {"limit": 0.000001}}}))
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", ts="2026-02-19T02:08:35Z")])
    with ModelConfigManager() as m:
        import_claude_code(m)
        assert m.ledger.alerts() == [] or all(a["scope"] == "global" for a in m.ledger.alerts())


def test_cwd_of_lines_without_one(project: Path, manager: ModelConfigManager) -> None:
    first = assistant("msg_1", "req_1", cwd=CWD)
    second = assistant("msg_2", "req_2")
    del second["cwd"]
    write(project / f"{SESSION}.jsonl", [first, second])
    import_claude_code(manager)
    assert {r["project_id"] for r in rows(manager)} == {"shop-api"}


def test_bounded_memory_gives_the_same_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With tiny chunks and a tiny in-memory window, copies far apart are still found (in the ledger)."""
    from claude_code_corpus import build

    from core.claude_code import importer

    from .conftest import ledger_snapshot

    root = tmp_path / "data"
    build(root, sessions=12, requests=12, seed=4)
    with ModelConfigManager(db_path=str(tmp_path / "a.db")) as roomy:
        import_claude_code(roomy, [str(root)])
        expected = ledger_snapshot(roomy)
    monkeypatch.setattr(importer, "CHUNK", 7)
    monkeypatch.setattr(importer, "KEEP_IN_MEMORY", 10)
    with ModelConfigManager(db_path=str(tmp_path / "b.db")) as tight:
        s = import_claude_code(tight, [str(root)])
        assert ledger_snapshot(tight) == expected
        assert s.new_records == len(expected)


def test_memory_stays_bounded_when_a_run_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading again lines already stored (files replaced, same content) writes nothing, but each line's
    stored copies are looked up and kept: they are evicted as the run goes, not only after a write."""
    import shutil

    from claude_code_corpus import build

    from core.claude_code import importer

    from .conftest import ledger_snapshot

    root = tmp_path / "data"
    build(root, sessions=12, requests=12, seed=4)
    files = transcript_files([str(root)])
    monkeypatch.setattr(importer, "KEEP_IN_MEMORY", 10)
    with ModelConfigManager(db_path=str(tmp_path / "a.db")) as manager:
        import_claude_code(manager, [str(root)])
        before = ledger_snapshot(manager)
        for path in files:  # a new file with the same lines: read again from the start
            shutil.copy(path, path.with_suffix(".tmp"))
            path.with_suffix(".tmp").replace(path)
        most = 0
        keep = importer._Run._keep

        def counting(run: importer._Run, kept: object) -> None:
            nonlocal most
            keep(run, kept)  # type: ignore[arg-type]
            most = max(most, len(run.kept))

        monkeypatch.setattr(importer._Run, "_keep", counting)
        s = import_claude_code(manager, [str(root)])
        assert (s.files_restarted, s.new_records, s.superseded) == (len(files), 0, 0)
        assert ledger_snapshot(manager) == before
    largest_file = max(len(path.read_bytes().splitlines()) for path in files)
    assert most <= 10 + largest_file, (most, len(before))


def test_rows_from_lines_equal_rows_from_validated_usage(manager: ModelConfigManager) -> None:
    """The importer builds rows from a line's values without validating them again: the same row as
    validating the same usage and building it the ordinary way (record id and time aside)."""
    from collections import Counter

    from core.claude_code.pipeline import SOURCE, line_rows
    from core.claude_code.transcript import UsageLine
    from core.store import USAGE_COLUMNS
    from core.usage import validate_usage

    line = UsageLine("msg_1:req_1", "msg_1", "s", 1_767_312_000_123_456, "claude-opus-4-6", 1, 2, 30, 20, 4, 1, True,
                     False, "main", "p")
    unknown_line = msgspec.structs.replace(line, key="msg_2:req_2", model="claude-experimental-9")
    unknown: Counter[str] = Counter()
    rows = [dict(zip(USAGE_COLUMNS, r, strict=True)) for r in line_rows(manager.cost_tracker, [line, unknown_line],
                                                                         unknown)]
    assert unknown == Counter({"claude-experimental-9": 1})
    for got, ln in zip(rows, (line, unknown_line), strict=True):
        usage = validate_usage(dict(
            agent_type=ln.agent_type, model_type=ln.model, input_tokens=ln.input_tokens, output_tokens=ln.output_tokens,
            project_id=ln.project_id, session_id=ln.session_id, cache_creation_input_tokens=ln.cache_write_tokens,
            cache_creation_1h_input_tokens=ln.cache_write_1h_tokens, cache_read_input_tokens=ln.cache_read_tokens,
            web_search_requests=ln.web_search_requests, request_id=ln.key, timestamp=ln.timestamp, fast_mode=ln.fast,
        ))
        want = manager.cost_tracker.build_row(usage, source=SOURCE)
        for varying in ("record_id", "created_us"):
            del got[varying], want[varying]
        assert got == want
    assert rows[0]["priced"] == 1 and rows[0]["cost_pico"] > 0 and rows[1]["priced"] == 0


def test_parallel_reading_gives_the_same_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large first imports read files in worker processes; the ledger is the same as read in process."""
    from claude_code_corpus import build

    from core.claude_code import reader

    from .conftest import ledger_snapshot

    root = tmp_path / "data"
    build(root, sessions=10, requests=10, seed=8)
    with ModelConfigManager(db_path=str(tmp_path / "a.db")) as inline:
        expected = import_claude_code(inline, [str(root)])
        snapshot = ledger_snapshot(inline)
    monkeypatch.setattr(reader, "PARALLEL_MIN_BYTES", 0)
    import multiprocessing

    forked = []
    real_pool = multiprocessing.get_context

    def spy(method: str):  # type: ignore[no-untyped-def]
        forked.append(method)
        return real_pool(method)

    monkeypatch.setattr(multiprocessing, "get_context", spy)
    with ModelConfigManager(db_path=str(tmp_path / "b.db")) as parallel:
        got = import_claude_code(parallel, [str(root)])
        assert ledger_snapshot(parallel) == snapshot
    assert forked == ["fork"]  # the readers; records are written by the importing process
    assert got.model_dump(exclude={"elapsed_seconds"}) == expected.model_dump(exclude={"elapsed_seconds"})
    # A second, incremental import in parallel mode adds nothing.
    with ModelConfigManager(db_path=str(tmp_path / "b.db")) as parallel:
        assert import_claude_code(parallel, [str(root)]).new_records == 0


def test_a_failed_write_during_a_parallel_import_is_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from claude_code_corpus import build

    from core.claude_code import pipeline, reader

    def fail(*args: object) -> list[tuple[object, ...]]:
        raise OSError("disk full")

    root = tmp_path / "data"
    build(root, sessions=4, requests=5, seed=9)
    real = pipeline.line_rows
    monkeypatch.setattr(reader, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline, "line_rows", fail)
    with ModelConfigManager(db_path=str(tmp_path / "u.db")) as m:
        with pytest.raises(OSError, match="disk full"):
            import_claude_code(m, [str(root)])
        assert m.ledger.import_states() == {}  # nothing was marked read
        monkeypatch.setattr(pipeline, "line_rows", real)
        assert import_claude_code(m, [str(root)]).new_records > 0


@pytest.mark.parametrize("failure", ["raises", "dies"])
def test_a_reader_process_that_fails_fails_the_import_and_marks_nothing_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    import os

    from claude_code_corpus import build

    from core.claude_code import reader

    root = tmp_path / "data"
    build(root, sessions=6, requests=5, seed=11)
    real = reader.read_batch
    parent = os.getpid()

    def broken(tasks: list[reader.FileTask]) -> list[reader.FileResult]:
        if os.getpid() != parent:  # only in the forked readers
            if failure == "dies":
                os._exit(3)
            raise RuntimeError("bad disk sector")
        return real(tasks)

    monkeypatch.setattr(reader, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(reader, "BATCH_BYTES", 1)  # a batch a file: several round trips
    monkeypatch.setattr(reader, "read_batch", broken)
    expected = "stopped unexpectedly" if failure == "dies" else "RuntimeError: bad disk sector"
    with ModelConfigManager(db_path=str(tmp_path / "u.db")) as m:
        with pytest.raises(OSError, match=expected):
            import_claude_code(m, [str(root)])
        assert m.ledger.import_states() == {} and m.ledger.count() == 0
        monkeypatch.setattr(reader, "read_batch", real)
        assert import_claude_code(m, [str(root)]).new_records > 0


def test_an_importer_that_stops_early_does_not_wait_on_blocked_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers blocked on a full pipe end as soon as the importer stops (never killed after a timeout)."""
    from multiprocessing.process import BaseProcess

    from claude_code_corpus import build

    from core.claude_code import importer, reader

    root = tmp_path / "data"
    build(root, sessions=12, requests=30, seed=12)
    terminated: list[str | None] = []
    real_terminate = BaseProcess.terminate

    def spy_terminate(self: BaseProcess) -> None:
        terminated.append(self.name)
        real_terminate(self)

    def stop(self: object, line: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(BaseProcess, "terminate", spy_terminate)
    monkeypatch.setattr(reader, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(reader, "BATCH_BYTES", 1)  # a batch a file: each worker has many to send
    monkeypatch.setattr(reader, "PIPE_BYTES", 4096)  # so a worker's pipe is full after one batch
    monkeypatch.setattr(importer._Run, "offer", stop)
    with ModelConfigManager(db_path=str(tmp_path / "u.db")) as m:
        with pytest.raises(OSError, match="disk full"):
            import_claude_code(m, [str(root)])
        assert m.ledger.count() == 0
    assert terminated == []


def test_the_collector_is_off_while_an_import_reads_and_back_on_after_a_failure(
    project: Path, manager: ModelConfigManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from core.claude_code import importer

    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1"), assistant("msg_2", "req_2")])
    seen: list[bool] = []
    real_offer = importer._Run.offer

    def spy(self: importer._Run, line: object) -> None:
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise OSError("disk full")
        real_offer(self, line)  # type: ignore[arg-type]

    monkeypatch.setattr(importer._Run, "offer", spy)
    with pytest.raises(OSError, match="disk full"):
        import_claude_code(manager)
    assert seen == [False, False] and gc.isenabled()


def test_page_cache_is_restored_after_an_import(project: Path, manager: ModelConfigManager) -> None:
    before = manager.ledger.conn.execute("PRAGMA cache_size").fetchone()[0]
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1")])
    import_claude_code(manager)
    assert manager.ledger.conn.execute("PRAGMA cache_size").fetchone()[0] == before


def test_a_failed_write_is_raised(project: Path, manager: ModelConfigManager) -> None:
    """A commit that fails (here: in the rows' transaction, after they were inserted) is raised; neither
    the records nor the file's state are kept, so the next import reads the file again."""
    from core.errors import LedgerError

    manager.ledger.conn.execute(
        "CREATE TEMP TRIGGER fail_states BEFORE INSERT ON main.import_files BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1")])
    with pytest.raises(LedgerError, match="disk full"):
        import_claude_code(manager)
    assert manager.ledger.import_states() == {} and manager.ledger.count() == 0
    manager.ledger.conn.execute("DROP TRIGGER temp.fail_states")
    assert import_claude_code(manager).new_records == 1


def test_bloom_filter() -> None:
    from core.claude_code.pipeline import Bloom

    bloom = Bloom()
    added = [hash(f"msg_{i}") for i in range(20_000)]
    for h in added:
        bloom.add(h)
    assert all(h in bloom for h in added)
    assert sum(hash(f"other_{i}") in bloom for i in range(20_000)) <= 2


def with_advisor(u: dict, *calls: tuple[int, int]) -> dict:
    iterations: list[dict] = [{"type": "message", "input_tokens": u["input_tokens"],
                               "output_tokens": u["output_tokens"]}]
    for inp, out in calls:
        iterations.append({"type": "advisor_message", "model": "claude-opus-4-6", "input_tokens": inp,
                           "output_tokens": out, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0})
    return u | {"iterations": iterations}


def test_advisor_calls_are_recorded_once_on_the_advisors_model(project: Path, manager: ModelConfigManager) -> None:
    u = with_advisor(usage(100, 20), (7000, 600), (8000, 500))
    haiku = "claude-haiku-4-5-20251001"
    path = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", model=haiku, u=u)] * 3)
    sub = project / SESSION / "subagents" / "agent-a1.jsonl"  # a sidechain replay under another request id
    write(sub, [assistant("msg_1", "req_replay", sidechain=True, model=haiku, u=u)])
    s = import_claude_code(manager)
    assert (s.new_records, s.duplicates_skipped) == (3, 9)  # 4 copies of 3 entries each
    by_key = {r["request_id"]: r for r in rows(manager)}
    assert sorted(by_key) == ["msg_1-advisor-1:req_1", "msg_1-advisor-2:req_1", "msg_1:req_1"]
    call = by_key["msg_1-advisor-1:req_1"]
    assert (call["model"], call["input_tokens"], call["output_tokens"], call["agent_type"]) == (
        "claude-opus-4-6", 7000, 600, "main")
    # Priced at the advisor's rates ($5 / $25 per MTok for Opus 4.6): 7000 * 5 + 600 * 25 = 50,000 micro-dollars.
    assert call["cost_pico"] == (7000 * 5 + 600 * 25) * 10**6
    # Again, and with the lines appended once more: nothing new.
    assert import_claude_code(manager).new_records == 0
    write(path, [assistant("msg_1", "req_1", model=haiku, u=u)], mode="a")
    assert import_claude_code(manager).new_records == 0
    assert manager.ledger.totals("*").ops == 3
