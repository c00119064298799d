"""API plumbing shared by every app: token authentication, permission classes, pagination
and the one exception handler."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.drainage import set_override
from rest_framework import authentication, exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from returns_portal.auth import permission_ids_annotation, permissions_prime
from returns_portal.errors import DomainError


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token check, fetching the user's customer record in the same query: every
    customer-facing endpoint asks who the customer is (`catalog.identity.viewer_for_user`)."""

    def token_query(self):
        return self.get_model().objects.select_related("user", "user__customer")

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = self.token_query().get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        self.user_prime(token)
        return (token.user, token)

    def user_prime(self, token) -> None:
        pass


class TokenPermissionsAuthentication(TokenAuthentication):
    """The same, bringing the user's permissions in that query too (PostgreSQL), for
    endpoints that always ask what the user may see (`catalog.identity.viewer_for_user`
    checks `view_all_returns`): no second query for them."""

    def token_query(self):
        return super().token_query().annotate(**permission_ids_annotation(self.get_model(), "user"))

    def user_prime(self, token) -> None:
        permissions_prime(token.user, token)


# Both token classes read the same `Authorization: Token <key>` header: one "tokenAuth"
# scheme in the OpenAPI document, not a name collision.
for _token_class in (TokenAuthentication, TokenPermissionsAuthentication):
    set_override(_token_class, "suppress_collision_warning", True)


def permission_class(codename: str) -> type[BasePermission]:
    """A DRF permission: the user holds `catalog.<codename>` (pair it with IsAuthenticated)."""

    class HasPermission(BasePermission):
        def has_permission(self, request, view) -> bool:
            return request.user.has_perm(f"catalog.{codename}")

    HasPermission.__name__ = f"Has_{codename}"
    return HasPermission


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def exception_handler(exc, context):
    """Map domain and model validation errors to 4xx with a clear message."""
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body[exc.field] = [exc.message]
        if exc.details:
            body["details"] = exc.details
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    # Imported here: settings name classes of this module (TokenAuthentication) that DRF
    # imports while `rest_framework.views` itself is still being imported.
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)
