from django.urls import path

from resolution import api

app_name = "resolution_api"

urlpatterns = [
    path("money-movements/", api.MoneyMovementListApi.as_view(), name="movements"),
    path(
        "money-movements/<int:movement_id>/",
        api.MoneyMovementDetailApi.as_view(),
        name="movement",
    ),
    path("goodwill/", api.GoodwillApi.as_view(), name="goodwill"),
    path("store-credit/", api.StoreCreditApi.as_view(), name="store_credit"),
    path("store-credit/spend/", api.StoreCreditSpendApi.as_view(), name="store_credit_spend"),
    path(
        "resolution/returns/<int:return_id>/",
        api.ReturnResolutionApi.as_view(),
        name="return",
    ),
    path(
        "resolution/returns/<int:return_id>/cs-minutes/",
        api.CsMinutesApi.as_view(),
        name="cs_minutes",
    ),
    path(
        "resolution/returns/<int:return_id>/no-refund/",
        api.NoRefundApi.as_view(),
        name="no_refund",
    ),
    path(
        "resolution/returns/<int:return_id>/exchange-fallback/",
        api.ExchangeFallbackApi.as_view(),
        name="exchange_fallback",
    ),
    path(
        "resolution/dispositions/<int:disposition_id>/override/",
        api.DispositionOverrideApi.as_view(),
        name="disposition_override",
    ),
]
