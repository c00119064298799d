"""The app's URLs plus the reference endpoints benchmarks compare against.

The references are the least a DRF endpoint can do on the same stack: create one row from
a plain ModelSerializer, and list a plain ModelSerializer page. The real endpoints must be
measured against these, in the same gunicorn, on the same database.
"""

from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from rma.models import ReturnEvent, ReturnRequest


class _BareEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReturnEvent
        fields = ["id", "return_request", "kind", "message"]


class BareCreate(generics.CreateAPIView):
    """Reference for filing: one row inserted through a ModelSerializer."""

    serializer_class = _BareEventSerializer
    permission_classes = [IsAuthenticated]


class _BareReturnSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReturnRequest
        fields = ["id", "rma_number", "status", "kind", "created_at", "expected_refund"]


class BareList(generics.ListAPIView):
    """Reference for list pages: one model, no joins, same pagination."""

    serializer_class = _BareReturnSerializer
    permission_classes = [IsAuthenticated]
    queryset = ReturnRequest.objects.order_by("-created_at", "-id")


urlpatterns = [
    path("bench/bare-create/", BareCreate.as_view()),
    path("bench/bare-list/", BareList.as_view()),
    path("", include("returns_portal.urls")),
]
