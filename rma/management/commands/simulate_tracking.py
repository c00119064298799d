"""Offline carrier simulator: post signed tracking events for one parcel to the webhook.

manage.py simulate_tracking RMA-2026-000123
manage.py simulate_tracking RP12345678903 --events in_transit,delivered
manage.py simulate_tracking RMA-2026-000123 --in-process   # no web server needed
"""

import json
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from rma.shipping.webhook import STATUSES, signature_header

WEBHOOK_PATH = "/api/v1/shipping/tracking/webhook/"
STEPS = {
    "in_transit": ("Picked up by the carrier", "Origin facility"),
    "out_for_delivery": ("Out for delivery", "Destination depot"),
    "delivered": ("Delivered to the returns dock", "Destination"),
    "exception": ("Delivery exception: address query", "Destination depot"),
}


class Command(BaseCommand):
    help = "Send signed carrier tracking events for a return (by RMA or tracking number)."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="RMA number or tracking number")
        parser.add_argument("--events", default="in_transit,out_for_delivery,delivered")
        parser.add_argument("--url", default=f"http://127.0.0.1:8000{WEBHOOK_PATH}")
        parser.add_argument(
            "--in-process", action="store_true", help="Call the webhook view directly."
        )

    def handle(self, *args, reference, events, url, in_process, **options):
        from rma.shipping.models import Shipment

        ref = reference.strip().upper()
        shipment = (
            Shipment.objects.filter(Q(tracking_number=ref) | Q(return_request__rma_number=ref))
            .select_related("return_request")
            .first()
        )
        if shipment is None or not shipment.tracking_number:
            raise CommandError(f"No labelled parcel for {reference} (create its label first).")
        statuses = [s.strip() for s in events.split(",") if s.strip()]
        unknown = set(statuses) - set(STATUSES)
        if unknown:
            raise CommandError(f"Unknown status {sorted(unknown)}; use {', '.join(STATUSES)}.")
        secret = settings.TRACKING_WEBHOOK_SECRET
        for status in statuses:
            description, location = STEPS[status]
            body = json.dumps(
                {
                    "id": f"sim-{uuid.uuid4().hex[:12]}",
                    "tracking_number": shipment.tracking_number,
                    "status": status,
                    "occurred_at": timezone.now().isoformat(),
                    "location": location,
                    "description": description,
                }
            ).encode()
            header = signature_header(secret=secret, body=body)
            code, answer = self._post(url, body, header, in_process=in_process)
            self.stdout.write(f"{status:<17} → {code} {answer}")
            if code >= 400:
                raise CommandError("The webhook refused the event.")

    def _post(self, url: str, body: bytes, header: str, *, in_process: bool) -> tuple[int, str]:
        if in_process:
            from django.test import Client

            resp = Client().post(
                WEBHOOK_PATH,
                data=body,
                content_type="application/json",
                HTTP_X_CARRIER_SIGNATURE=header,
            )
            return resp.status_code, resp.content.decode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Carrier-Signature": header},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except urllib.error.URLError as exc:
            raise CommandError(
                f"Cannot reach {url}: {exc.reason}. Is the server running?"
            ) from None
