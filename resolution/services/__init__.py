"""Resolution writes. The hook entry points (`returnless_resolve`, `refund_trigger_reached`,
`return_resolve`) are called by `rma.hooks` inside other apps' transactions."""

from resolution.services.dispositions import disposition_override, dispositions_apply
from resolution.services.goodwill import cs_minutes_log, goodwill_issue
from resolution.services.movements import (
    money_movement_execute,
    money_movement_retry,
    movements_sweep,
    refund_request,
)
from resolution.services.outcomes import (
    exchange_preference_set,
    outcome_issue,
    refund_trigger_reached,
    return_no_refund,
    return_resolve,
    returnless_resolve,
)
from resolution.services.recovery import (
    liquidation_lot_sell,
    refurbishment_complete,
    supplier_claim_credit,
    supplier_claim_ship,
)
from resolution.services.store_credit import store_credit_adjust, store_credit_spend

__all__ = [
    "cs_minutes_log",
    "disposition_override",
    "dispositions_apply",
    "exchange_preference_set",
    "goodwill_issue",
    "liquidation_lot_sell",
    "money_movement_execute",
    "money_movement_retry",
    "movements_sweep",
    "outcome_issue",
    "refund_request",
    "refund_trigger_reached",
    "refurbishment_complete",
    "return_no_refund",
    "return_resolve",
    "returnless_resolve",
    "store_credit_adjust",
    "store_credit_spend",
    "supplier_claim_credit",
    "supplier_claim_ship",
]
