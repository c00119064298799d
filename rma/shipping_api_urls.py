from django.urls import path

from rma.shipping import api, views

app_name = "shipping_api"

urlpatterns = [
    path("tracking/webhook/", views.tracking_webhook, name="tracking_webhook"),
    path("returns/<int:return_id>/", api.ShipmentDetailApi.as_view(), name="shipment"),
    path("returns/<int:return_id>/label/", api.LabelApi.as_view(), name="label"),
    path(
        "returns/<int:return_id>/packing-slip/", api.PackingSlipApi.as_view(), name="packing_slip"
    ),
    path("returns/<int:return_id>/own-carrier/", api.OwnCarrierApi.as_view(), name="own_carrier"),
    path("batches/", api.LabelBatchCreateApi.as_view(), name="batches"),
    path("batches/<int:batch_id>/", api.LabelBatchDetailApi.as_view(), name="batch"),
]
