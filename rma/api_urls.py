from django.urls import path

from rma import api

app_name = "rma-api"

urlpatterns = [
    path("returns/", api.ReturnsApi.as_view(), name="returns"),
    path("returns/quote/", api.ReturnQuoteApi.as_view(), name="quote"),
    path(
        "returns/by-reference/<str:reference>/",
        api.ReturnByReferenceApi.as_view(),
        name="by_reference",
    ),
    path("returns/<int:return_id>/", api.ReturnDetailApi.as_view(), name="detail"),
    path("returns/<int:return_id>/events/", api.ReturnEventsApi.as_view(), name="events"),
    path("returns/<int:return_id>/approve/", api.ReturnApproveApi.as_view(), name="approve"),
    path("returns/<int:return_id>/decline/", api.ReturnDeclineApi.as_view(), name="decline"),
    path("returns/<int:return_id>/cancel/", api.ReturnCancelApi.as_view(), name="cancel"),
    path("reasons/", api.ReasonsApi.as_view(), name="reasons"),
    path(
        "orders/<int:order_id>/returnable-lines/",
        api.ReturnableLinesApi.as_view(),
        name="returnable_lines",
    ),
]
