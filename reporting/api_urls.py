from django.urls import path

from reporting import api

app_name = "reporting_api"

urlpatterns = [
    path("overview/", api.OverviewApi.as_view(), name="overview"),
    path("tables/<slug:name>/", api.TableApi.as_view(), name="table"),
    path("suppliers/<slug:code>/", api.SupplierScorecardApi.as_view(), name="supplier"),
]
