from __future__ import annotations

import json
from pathlib import Path

import pytest
from ticketing_contracts import ALL_EVENT_MODELS
from ticketing_contracts.generate import default_schema_dir, drifted, main, render_schemas

CHECKED_IN = Path(__file__).resolve().parents[3] / "contracts" / "schemas"


def test_the_checked_in_schemas_equal_what_the_models_generate_now() -> None:
    # Fails when a model changes without `python -m ticketing_contracts.generate`.
    assert drifted(CHECKED_IN) == []
    assert default_schema_dir() == CHECKED_IN


def test_there_is_one_schema_per_event_version_plus_the_envelope() -> None:
    assert set(render_schemas()) == {"envelope.json"} | {
        f"tickets.{m.event_type}.v{m.schema_version}.json" for m in ALL_EVENT_MODELS
    }


@pytest.mark.parametrize("model", ALL_EVENT_MODELS, ids=lambda m: m.wire_name)
def test_each_event_schema_is_the_envelope_with_that_events_data(model: type) -> None:
    schema = json.loads(render_schemas()[f"{model.wire_name}.json"])
    assert schema["$id"] == model.wire_name
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]
    assert schema["description"]
    assert schema["properties"]["event_type"]["const"] == model.event_type
    assert schema["properties"]["schema_version"]["const"] == model.schema_version
    assert schema["properties"]["data"] == model.model_json_schema()
    assert schema["additionalProperties"] is False


def test_the_output_is_deterministic_and_keeps_persian_text_readable() -> None:
    first, second = render_schemas(), render_schemas()
    assert first == second
    for text in first.values():
        assert text.endswith("}\n")
        assert (
            json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + ("\n")
            == text
        )


def test_generate_writes_every_file_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(render_schemas())
    assert main(["--check", "--out", str(tmp_path)]) == 0


def test_check_exits_1_and_lists_the_drifted_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--out", str(tmp_path)])
    (tmp_path / "tickets.TicketClosed.v1.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "envelope.json").unlink()
    (tmp_path / "tickets.TicketMerged.v1.json").write_text("{}\n", encoding="utf-8")
    capsys.readouterr()

    assert main(["--check", "--out", str(tmp_path)]) == 1

    err = capsys.readouterr().err
    assert "tickets.TicketClosed.v1.json: differs" in err
    assert "envelope.json: missing" in err
    assert "tickets.TicketMerged.v1.json: no model generates it" in err
    assert "tickets.TicketOpened.v1.json" not in err
