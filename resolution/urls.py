from django.urls import path

from resolution import views

app_name = "resolution"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("movements/<int:movement_id>/retry/", views.movement_retry, name="movement_retry"),
    path("returns/<int:return_id>/", views.return_page, name="return"),
    path("returns/<int:return_id>/no-refund/", views.no_refund, name="no_refund"),
    path("returns/<int:return_id>/cs-minutes/", views.cs_minutes, name="cs_minutes"),
    path("dispositions/", views.dispositions, name="dispositions"),
    path(
        "dispositions/<int:disposition_id>/override/",
        views.disposition_override,
        name="disposition_override",
    ),
    path("refurbishment/", views.refurbishment, name="refurbishment"),
    path(
        "refurbishment/<int:job_id>/complete/",
        views.refurbishment_complete,
        name="refurbishment_complete",
    ),
    path("liquidation/", views.liquidation, name="liquidation"),
    path("liquidation/<int:lot_id>/sell/", views.liquidation_sell, name="liquidation_sell"),
    path("claims/", views.claims, name="claims"),
    path("claims/<int:claim_id>/ship/", views.claim_ship, name="claim_ship"),
    path("claims/<int:claim_id>/credit/", views.claim_credit, name="claim_credit"),
    path("goodwill/", views.goodwill, name="goodwill"),
    path(
        "returns/<int:return_id>/exchange-fallback/",
        views.exchange_fallback,
        name="exchange_fallback",
    ),
]
