from django.urls import path

from rma.shipping import views

app_name = "shipping"

urlpatterns = [
    path("returns/<int:return_id>/label/", views.label, name="label"),
    path("returns/<int:return_id>/packing-slip/", views.packing_slip, name="packing_slip"),
    path("returns/<int:return_id>/own-carrier/", views.own_carrier, name="own_carrier"),
    path("returns/<int:return_id>/panel/", views.panel, name="panel"),
    path("bulk/", views.bulk, name="bulk"),
    path("bulk/<int:batch_id>/", views.bulk_batch, name="bulk_batch"),
    path("bulk/<int:batch_id>/result/", views.bulk_result, name="bulk_result"),
]
