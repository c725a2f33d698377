"""The cost model (scripts/cost_model.py): the committed figures are the ones the committed measurements give, and
the pieces of arithmetic they rest on."""

from __future__ import annotations

from datetime import date

from scripts import cost_model
from scripts.measure_calls import OPERATIONS, _projected, item_size


def test_the_figures_in_the_docs_are_regenerated_from_the_committed_measurements() -> None:
    """Fails when docs/measured-calls.json (make bench) changed and docs/operations.md was not regenerated, or when
    someone edited the generated section by hand: run ``make bench`` (or ``python -m scripts.cost_model --write``)."""
    committed = cost_model.section_of(cost_model.DOCS.read_text())
    assert committed == cost_model.render(cost_model.load_measured()).strip("\n")


def test_every_operation_the_model_prices_is_measured() -> None:
    measured = cost_model.load_measured()["operations"]
    assert set(cost_model.ACTIVITY) == set(OPERATIONS) == set(measured)
    for name, figures in measured.items():
        assert {"api_requests", "lambda", "dynamodb", "schedules", "emails", "sms", "calls"} <= set(figures), name


def test_prices_are_dated_and_sourced() -> None:
    assert date.fromisoformat(cost_model.PRICES_DATED) <= date.today()
    for name, (usd, unit, source) in cost_model.PRICES.items():
        assert usd > 0, name
        assert unit, name
        assert source.startswith("aws.amazon.com/"), name


def test_small_stays_within_its_fixed_budget_and_large_costs_more() -> None:
    small = sum(v for _, v, _ in cost_model.fixed_lines(cost_model.PROFILES["small"]))
    large = sum(v for _, v, _ in cost_model.fixed_lines(cost_model.PROFILES["large"]))
    assert small <= 30  # issue 17's goal for a new stage
    assert large > 4 * small
    # The NAT gateway, ElastiCache and WAF are large-only lines.
    small_lines = {label for label, _, _ in cost_model.fixed_lines(cost_model.PROFILES["small"])}
    assert not any(word in " ".join(small_lines) for word in ("NAT", "ElastiCache", "WAF"))


def test_large_is_priced_with_the_tasks_it_needs_and_small_is_capped() -> None:
    large, small = cost_model.PROFILES["large"], cost_model.PROFILES["small"]
    tasks, over = cost_model.tasks_needed(large, 100_000)
    assert over
    assert tasks == 100_000 * cost_model.PEAK_ONLINE_SHARE / cost_model.SESSIONS_PER_TASK
    assert cost_model.tasks_needed(small, 100_000) == (1, True)
    assert cost_model.tasks_needed(small, 100) == (1, False)


def test_item_sizes_follow_dynamodb_rules() -> None:
    # names count too; a string is its UTF-8 length; a number about one byte per two digits plus one
    assert item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert item_size({"é": {"S": "é"}}) == 2 + 2
    assert item_size({"n": {"N": "1234"}}) == 1 + 3
    assert item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + 1 + 1 + 1
    assert item_size(None) == 0


def test_a_sparse_index_holds_only_items_with_its_keys() -> None:
    index = {
        "KeySchema": [{"AttributeName": "assignee_pk"}, {"AttributeName": "due_sk"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }
    task = {"user_id": {"S": "u"}, "sk": {"S": "TASK#1"}, "due_sk": {"S": "2026"}, "title": {"S": "t"}}
    assert _projected(index, ["user_id", "sk"], task) is None
    assigned = {**task, "assignee_pk": {"S": "u#open"}}
    assert _projected(index, ["user_id", "sk"], assigned) == {k: v for k, v in assigned.items() if k != "title"}
