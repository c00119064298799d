from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from returns_portal import views

api_patterns = [
    path("", include("catalog.api_urls")),
    path("", include("rma.api_urls")),
    path("shipping/", include("rma.shipping_api_urls")),
    path("warehouse/", include("assessment.api_urls")),
    path("", include("resolution.api_urls")),
    path("reports/", include("reporting.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("rma.urls")),
    path("shipping/", include("rma.shipping_urls")),
    path("warehouse/", include("assessment.urls")),
    path("resolution/", include("resolution.urls")),
    path("reports/", include("reporting.urls")),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
