from decimal import Decimal

from reporting import kpis

D = Decimal


def test_return_rate_and_zero_sold_is_undefined():
    assert kpis.return_rate(returned_units=3, sold_units=12) == D("0.2500")
    assert kpis.return_rate(returned_units=3, sold_units=0) is None
    assert kpis.percent(None) == "—"
    assert kpis.percent(D("0.2500")) == "25.0%"


def test_cost_per_return_and_recovery_zero_cases():
    assert kpis.cost_per_return(total_cost=D("10.00"), returns=3) == D("3.33")
    assert kpis.cost_per_return(total_cost=D("10.00"), returns=0) is None
    assert kpis.recovery_rate(recovered_value=D("5"), original_value=D("0")) is None
    assert kpis.sla_compliance(on_time=0, due=0) is None
    assert kpis.sla_compliance(on_time=9, due=10) == D("0.9000")


def test_mix_shares_sum_to_one_and_sort_by_count():
    rows = kpis.mix({"a": 1, "b": 3})
    assert rows == [("b", 3, D("0.7500")), ("a", 1, D("0.2500"))]
    assert kpis.mix({}) == []


def test_sampling_rate_is_clamped():
    assert kpis.sampling_rate(return_rate=None, defect_share=None) == D("0.0200")
    # 10% returns, half of them defects → 2% + 4 × 5% = 22%
    assert kpis.sampling_rate(return_rate=D("0.10"), defect_share=D("0.5")) == D("0.2200")
    assert kpis.sampling_rate(return_rate=D("0.9"), defect_share=D("1")) == D("0.5000")


def test_p90_nearest_rank_index():
    assert kpis.percentile_index(0) is None
    assert kpis.percentile_index(1) == 0
    assert kpis.percentile_index(10) == 8
    assert kpis.percentile_index(100) == 89
