from django.urls import path

from catalog import api

app_name = "catalog_api"

urlpatterns = [
    path("orders/", api.OrderListApi.as_view(), name="orders"),
    path("orders/<str:number>/", api.OrderDetailApi.as_view(), name="order"),
]
