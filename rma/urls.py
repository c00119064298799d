from django.urls import path

from rma import views

app_name = "rma"

urlpatterns = [
    # Customers
    path("returns/start/", views.start, name="start"),
    path("my/orders/", views.my_orders, name="my_orders"),
    path("my/returns/", views.my_returns, name="my_returns"),
    path("orders/<int:order_id>/return/", views.return_new, name="return_new"),
    path("returns/<int:return_id>/", views.return_detail, name="return_detail"),
    path("returns/<str:reference>/", views.return_status, name="return_status"),
    path("returns/<str:reference>/submitted/", views.return_submitted, name="return_submitted"),
    path("returns/<str:reference>/cancel/", views.return_cancel, name="return_cancel"),
    path(
        "returns/<str:reference>/photos/<int:photo_id>/",
        views.return_photo,
        name="return_photo",
    ),
    # Staff
    path("staff/review/", views.staff_review, name="staff_review"),
    path(
        "staff/review/<int:return_id>/decide/",
        views.staff_review_decide,
        name="staff_review_decide",
    ),
    path("staff/returns/", views.staff_returns, name="staff_returns"),
    path("staff/returns/<int:return_id>/", views.staff_return_detail, name="staff_return_detail"),
]
