"""What the tablet audit found on the receiving pages: photos (the customer's, the grader's
and the parcel's) come through permission-checked views because media files are not served;
the claim names the exchange variant; the lists say how far grading got and offer the parcels
at the dock to a grader without a scanner; minutes show as a plain number."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assessment.models import Inspection, ParcelException
from assessment.services import inspection_save, parcel_exception_create, parcel_receive
from rma.models import ReturnPhoto
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
    return buffer.getvalue()


def _jpeg(name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _jpeg_bytes(), content_type="image/jpeg")


@pytest.fixture
def customer_photo(delivered_return):
    photo = ReturnPhoto(line=delivered_return.lines.first())
    photo.image.save("damage.jpg", ContentFile(_jpeg_bytes()), save=True)
    return photo


@pytest.fixture
def graded_with_photo(grader, delivered_return):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    inspection_save(
        actor=grader,
        inspection_id=inspection.pk,
        expected_version=inspection.version,
        grade_code="B",
        photos=(_jpeg(),),
    )
    return inspection


def test_the_grading_page_shows_the_customers_photo_through_the_return_photo_view(
    client, grader, delivered_return, customer_photo
):
    # given a return whose customer sent a photo
    client.force_login(grader)
    # when the grader opens it on the receiving page
    page = client.get(f"/warehouse/returns/{delivered_return.pk}/").content.decode()
    # then the photo comes from the checked view (a /media/ URL is not served), and loads
    url = f"/returns/{delivered_return.reference}/photos/{customer_photo.pk}/"
    assert f'src="{url}"' in page
    assert "/media/" not in page
    assert client.get(url).status_code == 200


def test_a_saved_inspection_photo_shows_on_the_panel_and_loads_for_staff_only(
    client, grader, customer, delivered_return, graded_with_photo
):
    photo = graded_with_photo.photos.get()
    url = f"/warehouse/photos/inspection/{photo.pk}/"
    # given a grader who saved an item with a photo
    client.force_login(grader)
    # when they look at the return on the receiving page and on the staff record
    grading = client.get(f"/warehouse/returns/{delivered_return.pk}/").content.decode()
    record = client.get(f"/staff/returns/{delivered_return.pk}/").content.decode()
    # then both show the photo through the warehouse view, which serves the image privately
    assert f'src="{url}"' in grading and f'src="{url}"' in record
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp["Content-Type"] == "image/jpeg"
    assert resp["Cache-Control"] == "private, max-age=3600"
    assert b"".join(resp.streaming_content) == photo.image.open("rb").read()
    # and a customer, even the one whose return it is, cannot open it
    client.force_login(customer.user)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def test_a_parcel_exception_photo_shows_on_its_page(client, grader):
    parcel = parcel_exception_create(
        actor=grader, found="A boot", photos=(_jpeg(),), carrier_tracking="", label_text=""
    )
    photo = parcel.photos.get()
    client.force_login(grader)
    page = client.get(f"/warehouse/exceptions/{parcel.pk}/").content.decode()
    url = f"/warehouse/photos/parcel/{photo.pk}/"
    assert f'src="{url}"' in page and "/media/" not in page
    assert client.get(url).status_code == 200
    assert ParcelException.objects.count() == 1


@pytest.mark.parametrize(
    "url", ["/warehouse/photos/inspection/999999/", "/warehouse/photos/parcel/999999/"]
)
def test_unknown_photo_ids_are_404(client, grader, url):
    client.force_login(grader)
    assert client.get(url).status_code == 404


def test_a_photo_whose_file_is_gone_is_404_not_500(client, grader, graded_with_photo):
    photo = graded_with_photo.photos.get()
    photo.image.storage.delete(photo.image.name)
    client.force_login(grader)
    assert client.get(f"/warehouse/photos/inspection/{photo.pk}/").status_code == 404


def test_the_claim_names_the_exchange_variant_and_sku(client, grader, delivered_return):
    line = delivered_return.lines.first()
    wanted = ProductFactory(name="Trail Runner", variant="Blue / 43", sku="TR-BLU-43")
    line.exchange_product = wanted
    line.save(update_fields=["exchange_product"])
    client.force_login(grader)
    page = client.get(f"/warehouse/returns/{delivered_return.pk}/").content.decode()
    assert "Exchange for <strong>Trail Runner Blue / 43</strong>" in page
    assert "(TR-BLU-43)" in page


def test_the_bench_list_says_how_many_of_the_items_are_graded(
    client, grader, delivered_return, graded_with_photo
):
    client.force_login(grader)
    page = client.get("/warehouse/").content.decode()
    assert "1 of 2 graded" in page


def test_saved_minutes_are_a_plain_number_in_the_input(client, grader, delivered_return):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    inspection_save(
        actor=grader,
        inspection_id=inspection.pk,
        expected_version=inspection.version,
        minutes_spent="2.5",
    )
    client.force_login(grader)
    page = client.get(f"/warehouse/returns/{delivered_return.pk}/").content.decode()
    assert 'name="minutes_spent" value="2.50"' in page
    assert 'name="minutes_spent" value="0"' in page  # the other item, untouched


def test_parcels_at_the_dock_can_be_picked_by_a_tap(client, grader, delivered_return, order):
    from rma.shipping.models import Shipment
    from tests.factories import DestinationFactory, OrderFactory, OrderLineFactory
    from tests.factories import warehouse_return_make as make

    # given a delivered return addressed to the warehouse, and one sent to a supplier
    Shipment.objects.create(
        return_request=delivered_return,
        destination=DestinationFactory(kind="warehouse"),
        label_payer="merchant",
        status="delivered",
        tracking_number="1ZDOCK0000001",
    )
    other = OrderFactory(customer=order.customer)
    OrderLineFactory(order=other, line_number=1)
    to_supplier = make(order=other, status="delivered")
    Shipment.objects.create(
        return_request=to_supplier,
        destination=DestinationFactory(kind="supplier"),
        label_payer="merchant",
        status="delivered",
        tracking_number="1ZSUPP0000001",
    )
    client.force_login(grader)
    # when a grader without a scanner opens the receiving page
    page = client.get("/warehouse/").content.decode()
    # then the warehouse's parcel is a link to its return, the supplier's is not listed
    assert f'href="/warehouse/returns/{delivered_return.pk}/"' in page
    assert "1ZDOCK0000001" in page and "2 items" in page
    assert f'href="/warehouse/returns/{to_supplier.pk}/"' not in page
    # and once received it moves from the dock to the benches
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    page = client.get("/warehouse/").content.decode()
    assert "1ZDOCK0000001" not in page
    assert "0 of 2 graded" in page
