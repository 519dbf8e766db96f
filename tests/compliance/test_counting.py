"""Counting rules of New START against the treaty text (Article III.2(c); Article II.1(c)).

Independent facts: one warhead is counted for each deployed heavy bomber, so 60
deployed heavy bombers count 60 warheads whatever is declared; a deployed ICBM is one
in a deployed launcher, one to a launcher, so 100 deployed ICBMs on 50 deployed
launchers cannot comply.
"""

from __future__ import annotations

from datetime import date

from rule_helpers import declaration

from treatyverify.compliance.counting import counted_totals, evaluate_counting
from treatyverify.compliance.engine import evaluate
from treatyverify.exchange.declarations import parse_declaration
from treatyverify.treaty import load_treaty

SPEC = load_treaty("new-start")
AS_OF = date(2022, 3, 1)  # after the limits took effect (5 February 2018)


def _state(holdings: dict[str, int]) -> dict[str, tuple]:
    rec = declaration(1, "ru", "2022-03-02T00:00:00Z", "six-month-update", AS_OF, holdings)
    return {"ru": (rec, parse_declaration(rec.body, where="test"))}


def _by_rule(findings: list) -> dict:
    return {f.rule: f for f in findings}


def test_sixty_bombers_count_sixty_warheads_whatever_is_declared() -> None:
    state = _state({"deployed-heavy-bomber": 60, "warheads-deployed-icbm": 1500})
    _rec, decl = state["ru"]
    assert counted_totals(SPEC, decl)["warheads-heavy-bomber"] == 60
    finding = _by_rule(evaluate_counting(SPEC, state))["counting:heavy-bomber-warheads"]
    assert finding.values["attributed"] == 60 and finding.compliant  # none declared
    assert "Article III.2(c)" in finding.source


def test_bombers_with_no_attributed_warheads_exceed_the_warhead_limit() -> None:
    # 1,500 ICBM warheads + 60 bomber warheads = 1,560 > 1,550 (Article II.1(b)).
    holdings = {
        "deployed-heavy-bomber": 60,
        "warheads-deployed-icbm": 1500,
        "warheads-heavy-bomber": 0,
    }
    rec = declaration(1, "ru", "2022-03-02T00:00:00Z", "six-month-update", AS_OF, holdings)
    findings = _by_rule(evaluate(SPEC, [rec], as_of=AS_OF))
    warheads = findings["limit:warheads"]
    assert warheads.values["declared"] == 1560 and not warheads.compliant
    attribution = findings["counting:heavy-bomber-warheads"]
    assert not attribution.compliant and attribution.values["declared"] == 0
    assert "60" in attribution.statement and "0 declared" in attribution.statement


def test_a_hundred_icbms_on_fifty_launchers_is_a_finding_of_non_compliance() -> None:
    findings = _by_rule(
        evaluate_counting(SPEC, _state({"deployed-icbm": 100, "deployed-icbm-launcher": 50}))
    )
    icbm = findings["counting:icbm-in-deployed-launcher"]
    assert not icbm.compliant
    assert icbm.values == {
        "deployed-icbm": 100,
        "deployed-icbm-launcher": 50,
        "relation": "equals",
        "as_of": "2022-03-01",
    }
    assert "Article II.1(c)" in icbm.source


def test_one_icbm_per_deployed_launcher_complies() -> None:
    state = _state({"deployed-icbm": 50, "deployed-icbm-launcher": 50, "deployed-slbm": 0})
    findings = _by_rule(evaluate_counting(SPEC, state))
    assert findings["counting:icbm-in-deployed-launcher"].compliant
    assert findings["counting:slbm-in-deployed-launcher"].compliant
