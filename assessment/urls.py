from django.urls import path

from assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.receiving, name="receiving"),
    path("returns/<int:return_id>/", views.return_page, name="return"),
    path("returns/<int:return_id>/receive/", views.receive, name="receive"),
    path("returns/<int:return_id>/complete/", views.complete, name="complete"),
    path("inspections/<int:inspection_id>/", views.inspection_save, name="inspection_save"),
    path("photos/inspection/<int:photo_id>/", views.inspection_photo, name="inspection_photo"),
    path("photos/parcel/<int:photo_id>/", views.parcel_photo, name="parcel_photo"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("exceptions/<int:exception_id>/", views.exception_detail, name="exception"),
    path("exceptions/<int:exception_id>/match/", views.exception_match, name="exception_match"),
    path(
        "exceptions/<int:exception_id>/unidentified/",
        views.exception_unidentified,
        name="exception_unidentified",
    ),
    path("qc/", views.qc_report, name="qc_report"),
    path("qc/queue/", views.qc_queue, name="qc_queue"),
    path("qc/<int:inspection_id>/", views.qc_grade, name="qc_grade"),
    path("throughput/", views.throughput, name="throughput"),
]
