"""Every operator of a condition node (reference §1.6), true and false.

Each case writes a one-node flow to ``tmp_path``: a condition node ``check`` whose only
input ``subject`` has a static value, one case ``yes`` with a single expression
``subject <operator> operand`` and the default ``no``. The node re-emits its input on the
chosen handle, so its result is ``{"yes": subject}`` or ``{"no": subject}``.
"""

from __future__ import annotations

import pytest
from helpers import finished, write_flow

# (operator, subject, operand, expected case); unary operators ignore the operand.
OPERATOR_CASES = [
    ("==", 5, 5, "yes"),
    ("==", 5, 6, "no"),
    ("==", "abc", "abc", "yes"),
    ("!=", 5, 6, "yes"),
    ("!=", 5, 5, "no"),
    (">", 7, 5, "yes"),
    (">", 5, 5, "no"),
    ("<", 3, 5, "yes"),
    ("<", 5, 5, "no"),
    (">=", 5, 5, "yes"),
    (">=", 4, 5, "no"),
    ("<=", 5, 5, "yes"),
    ("<=", 6, 5, "no"),
    ("is null", None, None, "yes"),
    ("is null", 0, None, "no"),
    ("is not null", 0, None, "yes"),
    ("is not null", None, None, "no"),
    ("is true", True, None, "yes"),
    ("is true", False, None, "no"),
    ("is false", False, None, "yes"),
    ("is false", True, None, "no"),
    ("contains", "hello world", "world", "yes"),
    ("contains", ["a", "b"], "b", "yes"),
    ("contains", "hello", "z", "no"),
    ("not contains", "hello", "z", "yes"),
    ("not contains", ["a", "b"], "a", "no"),
    ("is empty", "", None, "yes"),
    ("is empty", [], None, "yes"),
    ("is empty", [1], None, "no"),
    ("is not empty", [1], None, "yes"),
    ("is not empty", "", None, "no"),
    ("in", "b", ["a", "b"], "yes"),
    ("in", "z", ["a", "b"], "no"),
    ("not in", "z", ["a", "b"], "yes"),
    ("not in", "a", ["a", "b"], "no"),
    ("has key", {"k": 1}, "k", "yes"),
    ("has key", {"k": 1}, "x", "no"),
    ("not has key", {"k": 1}, "x", "yes"),
    ("not has key", {"k": 1}, "k", "no"),
    ("has value", {"k": 1}, 1, "yes"),
    ("has value", {"k": 1}, 2, "no"),
    ("not has value", {"k": 1}, 2, "yes"),
    ("not has value", {"k": 1}, 1, "no"),
    ("starts with", "oocana", "oo", "yes"),
    ("starts with", "oocana", "na", "no"),
    ("ends with", "flow.oo.yaml", ".yaml", "yes"),
    ("ends with", "flow.oo.yaml", ".json", "no"),
]

OPERATORS = ["==", "!=", ">", "<", ">=", "<=", "is null", "is not null", "is true",
             "is false", "contains", "not contains", "is empty", "is not empty", "in",
             "not in", "has key", "not has key", "has value", "not has value",
             "starts with", "ends with"]


@pytest.fixture
def engine(scheduler_engine):
    """Condition nodes are a scheduling rule: jobs run on threads of this process."""
    return scheduler_engine


def condition_flow(operator: str, subject, operand) -> dict:
    return {
        "nodes": [{
            "node_id": "check",
            "inputs_def": [{"handle": "subject", "json_schema": {}}],
            "conditions": {
                "cases": [{
                    "handle": "yes",
                    "logical": "AND",
                    "expressions": [
                        {"input_handle": "subject", "operator": operator, "value": operand}],
                }],
                "default": {"handle": "no"},
            },
            "inputs_from": [{"handle": "subject", "value": subject}],
        }],
    }


def test_the_matrix_covers_every_operator_both_ways():
    for operator in OPERATORS:
        cases = {case for op, _, _, case in OPERATOR_CASES if op == operator}
        assert cases == {"yes", "no"}, operator
    assert {op for op, *_ in OPERATOR_CASES} == set(OPERATORS)


class TestConditionOperators:
    @pytest.mark.parametrize(("operator", "subject", "operand", "expected"), OPERATOR_CASES,
                             ids=[f"{c[1]!r} {c[0]} {c[2]!r}" for c in OPERATOR_CASES])
    def test_the_operator_chooses_the_expected_case(self, engine, tmp_path, operator,
                                                    subject, operand, expected):
        flow = write_flow(tmp_path / "condition", condition_flow(operator, subject, operand))

        result = engine.run(flow)

        assert result.status == "completed", result.error
        [done] = finished(result, "check")
        assert done["result"] == {expected: subject}


class TestConditionLogic:
    def run_cases(self, engine, tmp_path, logical, first, second):
        """subject 5; two expressions that are true when ``first`` / ``second`` is."""
        flow = condition_flow("==", 5, 5)
        case = flow["nodes"][0]["conditions"]["cases"][0]
        case["logical"] = logical
        case["expressions"] = [
            {"input_handle": "subject", "operator": "==", "value": 5 if first else 0},
            {"input_handle": "subject", "operator": "==", "value": 5 if second else 0},
        ]
        result = engine.run(write_flow(tmp_path / "logic", flow))
        assert result.status == "completed", result.error
        [done] = finished(result, "check")
        return next(iter(done["result"]))

    @pytest.mark.parametrize(("first", "second", "expected"),
                             [(True, True, "yes"), (True, False, "no"), (False, False, "no")])
    def test_and_needs_every_expression(self, engine, tmp_path, first, second, expected):
        assert self.run_cases(engine, tmp_path, "AND", first, second) == expected

    @pytest.mark.parametrize(("first", "second", "expected"),
                             [(True, False, "yes"), (False, True, "yes"), (False, False, "no")])
    def test_or_needs_one_expression(self, engine, tmp_path, first, second, expected):
        assert self.run_cases(engine, tmp_path, "OR", first, second) == expected

    def test_without_a_match_or_a_default_the_node_sends_nothing(self, engine, tmp_path):
        flow = condition_flow("==", 5, 6)
        del flow["nodes"][0]["conditions"]["default"]

        result = engine.run(write_flow(tmp_path / "no_default", flow))

        assert result.status == "completed", result.error
        [done] = finished(result, "check")
        assert not done.get("result")
