"""Checks on uploaded inspection and parcel photos: real images, a sane size and count."""

from PIL import Image, UnidentifiedImageError

from returns_portal.errors import DomainError

MAX_BYTES = 8 * 1024 * 1024
MAX_COUNT = 5
FORMATS = {"JPEG", "PNG", "WEBP"}


def photos_validate(photos) -> list:
    """The uploads, each verified as a JPEG/PNG/WebP image; DomainError otherwise."""
    photos = [p for p in (photos or ()) if p]
    if len(photos) > MAX_COUNT:
        raise DomainError(f"At most {MAX_COUNT} photos at a time.", field="photos")
    for upload in photos:
        if getattr(upload, "size", 0) > MAX_BYTES:
            raise DomainError(f"{upload.name} is larger than 8 MB.", field="photos")
        try:
            upload.seek(0)
            with Image.open(upload) as image:
                kind = image.format
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise DomainError(
                f"{getattr(upload, 'name', 'A file')} is not a photo we can read.", field="photos"
            ) from None
        finally:
            upload.seek(0)
        if kind not in FORMATS:
            raise DomainError("Photos must be JPEG, PNG or WebP.", field="photos")
    return photos
