"""The PIP record: validation, JSON round-trip, checklists, Markdown, CLI."""

from __future__ import annotations

import datetime as dt
import json
import re

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipbench.cli import main
from pipbench.errors import InputError
from pipbench.plan import (
    CanaryPlan,
    ChangePlan,
    ErrorBudget,
    Evidence,
    FollowUp,
    Hypothesis,
    Owner,
    Pip,
    Scope,
    SliBaseline,
    SloTarget,
    TimelineEntry,
    Trigger,
    Verdict,
    VerificationResult,
    checklist_status,
    load_pip,
    render_markdown,
    save_pip,
    write_markdown,
)

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def full_pip() -> Pip:
    chart = Evidence(title="p95 vs baseline", kind="chart", path="charts/sli.png", summary="+40 %")
    return Pip(
        id="PIP-7",
        title="Checkout p95 regression after v2.3",
        owner=Owner(name="Ada", team="payments", contact="ada@example.org"),
        trigger=Trigger(kind="slo_burn", summary="1h/5m burn-rate page", detected_at=T0),
        scope=Scope(services=("checkout",), endpoints=("/pay",), environments=("prod",)),
        created=T0,
        timeline=(
            TimelineEntry(at=T0 + dt.timedelta(hours=2), event="canary started"),
            TimelineEntry(at=T0, event="page fired"),
        ),
        baseline=(SliBaseline(name="p95 latency", value=0.21, unit="s", window="7d"),),
        slo_targets=(SloTarget(sli="p95 latency", objective=0.999, threshold="< 300 ms"),),
        error_budgets=(ErrorBudget(slo="p95 latency", consumed=0.35, as_of=T0),),
        hypotheses=(
            Hypothesis(rank=2, statement="GC pauses", status="refuted"),
            Hypothesis(
                rank=1, statement="N+1 query in v2.3", status="supported", evidence=(chart,)
            ),
        ),
        change_plan=ChangePlan(
            summary="Batch the query",
            canary=CanaryPlan(stages=(0.05, 0.25, 1.0), success_criteria=("p95 < 250 ms",)),
            flag="checkout.batch_query",
            rollback="Turn the flag off",
        ),
        verification=(
            VerificationResult(
                metric="p95 latency",
                baseline=0.29,
                candidate=0.2,
                unit="s",
                lower=-0.11,
                upper=-0.07,
                p_value=0.001,
                method="bootstrap",
                passed=True,
                evidence=(Evidence(title="ECDF", kind="chart", path="charts/ecdf.svg"),),
            ),
        ),
        verdict=Verdict.ROLL_OUT,
        verdict_reason="p95 back under target at 100 %",
        follow_ups=(
            FollowUp(action="Add a query-count test", owner="Bo", due=dt.date(2026, 4, 1)),
        ),
        lessons=("Query counts belong in the load test",),
    )


def test_json_round_trip_preserves_every_field(tmp_path, full_pip):
    path = save_pip(full_pip, tmp_path / "p" / "pip.json")
    loaded = load_pip(path)
    assert loaded == full_pip
    assert loaded.model_dump() == full_pip.model_dump()
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == 1
    assert raw["verdict"] == "roll_out"
    assert not list(tmp_path.glob("**/.*.tmp"))


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20).filter(
    lambda s: s.strip() == s and s
)


@settings(max_examples=50, deadline=None)
@given(
    title=_text,
    value=st.floats(allow_nan=False, allow_infinity=False),
    objective=st.floats(min_value=1e-6, max_value=1 - 1e-6),
    ranks=st.lists(st.integers(1, 50), unique=True, max_size=5),
)
def test_round_trip_property(tmp_path_factory, title, value, objective, ranks):
    """Any valid record comes back equal from JSON (floats exactly, text unchanged)."""
    pip = Pip(
        id="P",
        title=title,
        owner=Owner(name=title),
        trigger=Trigger(summary=title),
        baseline=(SliBaseline(name=title, value=value),),
        slo_targets=(SloTarget(sli=title, objective=objective),),
        hypotheses=tuple(Hypothesis(rank=r, statement=title) for r in ranks),
    )
    path = save_pip(pip, tmp_path_factory.mktemp("rt") / "pip.json")
    assert load_pip(path) == pip


def test_hypotheses_are_kept_in_rank_order_and_timeline_in_time_order(full_pip):
    assert [h.rank for h in full_pip.hypotheses] == [1, 2]
    assert [e.event for e in full_pip.timeline] == ["page fired", "canary started"]


@pytest.mark.parametrize(
    ("update", "needle"),
    [
        (
            {"hypotheses": [{"rank": 1, "statement": "a"}, {"rank": 1, "statement": "b"}]},
            "ranks must be unique",
        ),
        ({"slo_targets": [{"sli": "x", "objective": 99.9}]}, "less than 1"),
        (
            {"change_plan": {"summary": "s", "canary": {"stages": [0.5, 0.1]}}},
            "stages must increase",
        ),
        (
            {
                "verification": [
                    {
                        "metric": "m",
                        "baseline": 1,
                        "candidate": 2,
                        "lower": 3,
                        "upper": 1,
                        "passed": True,
                    }
                ]
            },
            "must not exceed upper",
        ),
        ({"verdict": "ship it"}, "roll_out"),
        ({"titel": "typo"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_records_are_rejected(full_pip, update, needle):
    data = {**full_pip.model_dump(mode="json"), **update}
    with pytest.raises(pydantic.ValidationError, match=re.escape(needle)):
        Pip.model_validate(data)


def test_records_are_frozen(full_pip):
    with pytest.raises(pydantic.ValidationError):
        full_pip.title = "x"
    updated = full_pip.model_copy(update={"verdict": Verdict.ITERATE})
    assert updated.verdict is Verdict.ITERATE
    assert full_pip.verdict is Verdict.ROLL_OUT


def test_error_budget_is_one_minus_objective():
    """Reference: SRE Workbook definition, error budget = 1 − SLO."""
    assert SloTarget(sli="a", objective=0.999).error_budget == pytest.approx(0.001)
    assert ErrorBudget(slo="a", consumed=1.25).remaining == pytest.approx(-0.25)


def test_load_pip_errors_name_file_and_field(tmp_path, full_pip):
    with pytest.raises(InputError, match="no such PIP file"):
        load_pip(tmp_path / "missing.json")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    with pytest.raises(InputError, match=r"bad\.json: not valid JSON"):
        load_pip(bad_json)
    data = full_pip.model_dump(mode="json")
    data["hypotheses"][1]["rank"] = 0
    bad_field = tmp_path / "field.json"
    bad_field.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        load_pip(bad_field)
    assert err.value.field == "hypotheses.1.rank"
    assert "field.json" in str(err.value)
    assert "greater than or equal to 1" in str(err.value)


def test_checklists_are_ticked_from_the_record(full_pip):
    status = {s.id: s for s in checklist_status(full_pip)}
    auto_done = {k for k, s in status.items() if s.auto}
    assert auto_done >= {
        "owner",
        "trigger",
        "baseline",
        "slo",
        "exposure",
        "rollback",
        "criteria",
        "verified",
        "budget",
        "verdict",
        "follow_ups",
        "lessons",
    }
    # Hypothesis 2 has no evidence, and rehearsal/comms need a human.
    assert not status["hypotheses"].done
    assert not status["rollback_tested"].done
    assert not status["comms"].done
    bare = Pip(id="P", title="t", owner=Owner(name="a"), trigger=Trigger(summary="s"))
    assert [s.id for s in checklist_status(bare) if s.done] == ["owner"]
    ticked = bare.model_copy(
        update={
            "checklists": tuple(
                cl.model_copy(
                    update={
                        "items": tuple(
                            i.model_copy(update={"done": i.id == "comms"}) for i in cl.items
                        )
                    }
                )
                for cl in bare.checklists
            )
        }
    )
    comms = next(s for s in checklist_status(ticked) if s.id == "comms")
    assert comms.done
    assert not comms.auto


def test_issues_flag_contradictions(full_pip):
    assert full_pip.issues() == []
    failed = full_pip.verification[0].model_copy(update={"passed": False})
    bad = full_pip.model_copy(update={"verification": (failed,), "verdict_reason": ""})
    assert bad.issues() == [
        "verdict is roll_out but verification failed for p95 latency",
        "verdict is roll_out with no reason given",
    ]


def test_markdown_embeds_charts_relative_to_the_markdown_file(tmp_path, full_pip):
    pip_dir = tmp_path / "pip"
    (pip_dir / "charts").mkdir(parents=True)
    (pip_dir / "charts" / "sli.png").write_bytes(b"png")
    (pip_dir / "charts" / "ecdf.svg").write_text("<svg/>")
    save_pip(full_pip, pip_dir / "pip.json")
    out = write_markdown(pip_dir / "pip.json", tmp_path / "report" / "PIP-7.md")
    md = out.read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert images == ["../pip/charts/sli.png", "../pip/charts/ecdf.svg"]
    for rel in images:
        assert (out.parent / rel).resolve().is_file()
    assert md.startswith("# PIP-7: Checkout p95 regression after v2.3\n")
    assert "**Verdict:** roll out — p95 back under target at 100 %" in md
    assert "| p95 latency | 99.9000% | 30 d | < 300 ms | 0.100% |" in md
    assert "### 1. N+1 query in v2.3 (supported)" in md
    assert "- **Canary:** 5% → 25% → 100%, 30m per stage" in md
    assert (
        "| p95 latency | 0.29 s | 0.2 s | [-0.11 s, -0.07 s] (95%) | 0.001 | bootstrap | pass |"
        in md
    )
    assert "- [ ] Add a query-count test — Bo, due 2026-04-01" in md
    assert "Open questions" not in md


def test_evidence_for_file_infers_kind_and_relative_path(tmp_path):
    pip_dir = tmp_path / "pip"
    ev = Evidence.for_file(
        tmp_path / "runs" / "slo" / "charts" / "burn_down.svg", relative_to=pip_dir
    )
    assert (ev.kind, ev.path, ev.title) == (
        "chart",
        "../runs/slo/charts/burn_down.svg",
        "burn down",
    )
    assert Evidence.for_file(pip_dir / "e" / "v.json", relative_to=pip_dir).kind == "json"
    assert Evidence.for_file(pip_dir / "r.html", relative_to=pip_dir, title="R").kind == "link"


def test_markdown_table_cells_escape_pipes(full_pip):
    entry = TimelineEntry(at=T0, event="rolled back | paged team")
    md = render_markdown(full_pip.model_copy(update={"timeline": (entry,)}))
    assert "| 2026-03-01 12:00 | rolled back \\| paged team |" in md


def test_datetimes_must_carry_a_time_zone(full_pip):
    data = full_pip.model_dump(mode="json")
    data["timeline"][0]["at"] = "2026-03-01T12:00:00"
    with pytest.raises(pydantic.ValidationError, match="timezone"):
        Pip.model_validate(data)


def test_markdown_without_dirs_keeps_paths_as_stored(full_pip):
    md = render_markdown(full_pip)
    assert "![p95 vs baseline](charts/sli.png)" in md


def test_cli_new_show_render(tmp_path, capsys):
    path = tmp_path / "pip.json"
    args = ["pip", "new", str(path), "--title", "Slow checkout", "--owner", "Ada"]
    assert main([*args, "--trigger", "p95 page", "--kind", "alert", "--service", "checkout"]) == 0
    pip = load_pip(path)
    assert (pip.id, pip.trigger.kind, pip.scope.services) == ("pip", "alert", ("checkout",))
    assert main([*args, "--trigger", "again"]) == 2
    assert "exists (use --force" in capsys.readouterr().err
    assert main(["pip", "show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "verdict  pending" in out
    assert "baseline 2/4 ready" in out
    assert main(["pip", "show", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Slow checkout"
    assert main(["pip", "render", str(path)]) == 0
    assert (tmp_path / "pip.md").read_text().startswith("# pip: Slow checkout")
    assert (
        main(
            [
                "pip",
                "new",
                str(tmp_path / "b.json"),
                "--title",
                "t",
                "--owner",
                "o",
                "--trigger",
                "x",
                "--kind",
                "bogus",
            ]
        )
        == 2
    )
    assert "--kind 'bogus' is not one of" in capsys.readouterr().err
    assert main(["pip", "show", str(tmp_path / "nope.json")]) == 2
    assert "nope.json: no such PIP file" in capsys.readouterr().err
