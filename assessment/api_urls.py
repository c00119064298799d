from django.urls import path

from assessment import api

app_name = "assessment_api"

urlpatterns = [
    path("lookup/", api.LookupApi.as_view(), name="lookup"),
    path("returns/<int:return_id>/", api.ReturnDetailApi.as_view(), name="return"),
    path("returns/<int:return_id>/receive/", api.ReceiveApi.as_view(), name="receive"),
    path("returns/<int:return_id>/complete/", api.CompleteApi.as_view(), name="complete"),
    path("inspections/<int:inspection_id>/", api.InspectionApi.as_view(), name="inspection"),
    path(
        "lines/<int:line_id>/inspection/",
        api.LineInspectionApi.as_view(),
        name="line_inspection",
    ),
    path("qc/queue/", api.QcQueueApi.as_view(), name="qc_queue"),
    path("qc/report/", api.QcReportApi.as_view(), name="qc_report"),
    path("throughput/", api.ThroughputApi.as_view(), name="throughput"),
    path("exceptions/", api.ParcelExceptionListApi.as_view(), name="exceptions"),
    path(
        "exceptions/<int:exception_id>/",
        api.ParcelExceptionDetailApi.as_view(),
        name="exception",
    ),
    path(
        "exceptions/<int:exception_id>/match/",
        api.ParcelExceptionMatchApi.as_view(),
        name="exception_match",
    ),
    path(
        "exceptions/<int:exception_id>/unidentified/",
        api.ParcelExceptionUnidentifiedApi.as_view(),
        name="exception_unidentified",
    ),
]
