from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("suppliers/", views.suppliers, name="suppliers"),
    path("suppliers/<slug:code>/", views.supplier_detail, name="supplier"),
    path("breaches/", views.breaches, name="breaches"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/recall/", views.alert_recall, name="alert_recall"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("recalls/<int:recall_id>/", views.recall_detail, name="recall"),
    path("<slug:name>.csv", views.table_export, name="table_csv"),
]
