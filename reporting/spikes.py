"""Spike detection on the daily line rollups.

A batch (or SKU) raises an alert for a reason when, in the last `window_days`, it has
≥ `min_count` returns for that reason AND ≥ `factor` × its baseline, where the baseline is
its count for the same reason over the preceding `baseline_days`, scaled to one window,
floored at `min_baseline` (so a brand-new batch still needs a real cluster).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from audit.services import audit_record
from reporting.models import LineDaily, SpikeAlert, SpikeRule


@dataclass(frozen=True)
class SpikeVerdict:
    count: int
    baseline: Decimal
    fires: bool


def spike_verdict(*, count: int, baseline_count: int, rule: SpikeRule) -> SpikeVerdict:
    """Pure: is `count` in one window a spike against `baseline_count` over baseline_days?"""
    per_window = Decimal(baseline_count) * rule.window_days / max(rule.baseline_days, 1)
    baseline = max(per_window, rule.min_baseline).quantize(Decimal("0.01"))
    fires = count >= rule.min_count and Decimal(count) >= rule.factor * baseline
    return SpikeVerdict(count=count, baseline=baseline, fires=fires)


def rule_active() -> SpikeRule:
    return SpikeRule.objects.order_by("-pk").first() or SpikeRule()


def _counts(keys: list[str], start: dt.date, end: dt.date) -> dict[tuple, int]:
    rows = (
        LineDaily.objects.filter(day__gte=start, day__lte=end)
        .values(*keys)
        .annotate(n=Sum("returns"))
        .order_by()
    )
    return {tuple(r[k] for k in keys): r["n"] for r in rows}


def spikes_detect(*, today: dt.date) -> list[SpikeAlert]:
    """Open (or refresh) alerts for every batch and SKU spike in the window ending yesterday."""
    rule = rule_active()
    window_end = today - dt.timedelta(days=1)
    window_start = window_end - dt.timedelta(days=rule.window_days - 1)
    base_end = window_start - dt.timedelta(days=1)
    base_start = base_end - dt.timedelta(days=rule.baseline_days - 1)
    raised = []
    scopes = (
        (SpikeAlert.Scope.BATCH, ["product_id", "batch_id", "reason_code"]),
        (SpikeAlert.Scope.SKU, ["product_id", "reason_code"]),
    )
    with transaction.atomic():
        for scope, keys in scopes:
            window = _counts(keys, window_start, window_end)
            baseline = _counts(keys, base_start, base_end)
            for key, count in window.items():
                fields = dict(zip(keys, key, strict=True))
                if scope == SpikeAlert.Scope.BATCH and fields["batch_id"] is None:
                    continue
                verdict = spike_verdict(count=count, baseline_count=baseline.get(key, 0), rule=rule)
                if not verdict.fires:
                    continue
                fields.setdefault("batch_id", None)
                alert = SpikeAlert.objects.filter(
                    scope=scope, status=SpikeAlert.Status.OPEN, **fields
                ).first() or SpikeAlert(scope=scope, **fields)
                opened = alert.pk is None
                alert.window_start, alert.window_end = window_start, window_end
                alert.count, alert.baseline = verdict.count, verdict.baseline
                alert.save()
                if opened:
                    audit_record(
                        obj=alert,
                        action="opened",
                        to_state=alert.status,
                        note=f"{verdict.count} “{alert.reason_code}” returns from "
                        f"{window_start} to {window_end} (baseline {verdict.baseline}).",
                        data={"scope": scope, "count": verdict.count},
                    )
                raised.append(alert)
    return raised
