"""Any interleaving of appends and imports leaves the same ledger as one import at the end."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import ModelConfigManager
from core.claude_code.importer import import_claude_code

from .conftest import FOLDER, SESSION, assistant, dumps, ledger_snapshot, usage

MESSAGES = ["msg_A", "msg_B", "msg_C", "msg_D"]


@st.composite
def transcript_lines(draw: st.DrawFn) -> list[tuple[int, str]]:
    """(file index, line) pairs: 0 = main transcript, 1 and 2 = subagents; copies, snapshots and replays."""
    n = draw(st.integers(1, 14))
    out = []
    for i in range(n):
        file = draw(st.integers(0, 2))
        mid = draw(st.sampled_from(MESSAGES))
        rid = draw(st.sampled_from(["req_1", "req_2", None]))
        sidechain = file != 0 or draw(st.booleans())
        out_tokens = draw(st.integers(1, 4))
        second = draw(st.integers(0, 2))
        line = assistant(mid, rid, sidechain=sidechain, u=usage(out=out_tokens, read=draw(st.sampled_from([0, 9]))),
                         ts=f"2026-02-19T02:0{second}:00.000Z",
                         model=draw(st.sampled_from(["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"])))
        if draw(st.booleans()):
            line["uuid"] = f"u{i}"
        text = dumps(line) if draw(st.integers(0, 12)) else "garbage that is not json"
        out.append((file, text + "\n"))
    return out


def paths(root: Path) -> list[Path]:
    folder = root / "projects" / FOLDER
    return [folder / f"{SESSION}.jsonl", folder / SESSION / "subagents" / "agent-a1.jsonl",
            folder / SESSION / "subagents" / "agent-a2.jsonl"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=transcript_lines(), cuts=st.lists(st.integers(0, 10_000), max_size=8), data=st.data())
def test_interleaved_appends_and_imports(lines: list[tuple[int, str]], cuts: list[int], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = paths(root)
        for f in files:
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(b"")
        # The whole stream of bytes each file receives, appended in arbitrary pieces (lines torn anywhere).
        stream = [(f, text.encode()) for f, text in lines]
        pieces: list[tuple[int, bytes]] = []
        for f, blob in stream:
            at = data.draw(st.integers(0, len(blob)))
            pieces += [(f, blob[:at]), (f, blob[at:])]
        import_after = set(c % max(1, len(pieces)) for c in cuts)
        incremental = ModelConfigManager(db_path=str(root / "inc.db"), config_dir=str(root))
        try:
            for i, (f, piece) in enumerate(pieces):
                with files[f].open("ab") as handle:
                    handle.write(piece)
                if i in import_after:
                    import_claude_code(incremental, [str(root)])
            if data.draw(st.booleans()):
                # A replaced file: the same bytes under a new inode.
                tmpfile = files[0].with_suffix(".tmp")
                tmpfile.write_bytes(files[0].read_bytes())
                os.replace(tmpfile, files[0])
            import_claude_code(incremental, [str(root)])
            once = ModelConfigManager(db_path=str(root / "once.db"), config_dir=str(root))
            try:
                import_claude_code(once, [str(root)])
                assert ledger_snapshot(incremental) == ledger_snapshot(once)
                # Rollups always equal the rows they summarise (supersede adjusts them).
                for m in (incremental, once):
                    t = m.ledger.totals("*")
                    recs = list(m.ledger.records())
                    assert t.ops == len(recs)
                    assert t.output_tokens == sum(r["output_tokens"] for r in recs)
                    assert t.cost_pico == sum(r["cost_pico"] for r in recs)
                assert import_claude_code(once, [str(root)]).new_records == 0
            finally:
                once.close()
        finally:
            incremental.close()


def test_replay_superseded_then_its_request_id_reused_by_the_main_thread(tmp_path: Path) -> None:
    """Found by the property above: a sidechain replay stored under req_2 is superseded by the main
    copy under req_1; the main thread's own req_2 must then be recorded, not taken for a duplicate."""
    transcript = paths(tmp_path)[0]
    transcript.parent.mkdir(parents=True)
    ts = "2026-02-19T02:00:00.000Z"
    lines = [
        dumps(assistant("msg_A", "req_2", sidechain=True, u=usage(out=1), ts=ts)),
        dumps(assistant("msg_A", "req_1", u=usage(out=1), ts=ts)),
        dumps(assistant("msg_A", "req_2", u=usage(out=1), ts=ts)),
    ]
    incremental = ModelConfigManager(db_path=str(tmp_path / "inc.db"), config_dir=str(tmp_path))
    transcript.write_text(lines[0] + "\n")
    import_claude_code(incremental, [str(tmp_path)])
    with transcript.open("a") as handle:
        handle.write("\n".join(lines[1:]) + "\n")
    import_claude_code(incremental, [str(tmp_path)])
    once = ModelConfigManager(db_path=str(tmp_path / "once.db"), config_dir=str(tmp_path))
    import_claude_code(once, [str(tmp_path)])
    assert ledger_snapshot(incremental) == ledger_snapshot(once)
    assert sorted(r[0] for r in ledger_snapshot(once)) == ["msg_A:req_1", "msg_A:req_2"]
