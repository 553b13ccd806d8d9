"""Test images with the metadata a phone puts in them."""

import io

from PIL import Image

GPS_IFD = 0x8825


def photo_with_location(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"      # Make
    exif[0x0110] = "Phone 12"        # Model
    exif[0x0112] = 6                 # Orientation: rotate 90° clockwise to display
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (52.0, 22.0, 12.5)      # Amsterdam, more or less
    gps[3] = "E"
    gps[4] = (4.0, 53.0, 30.0)
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif)
    return out.getvalue()


def has_location(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return bool(exif.get_ifd(GPS_IFD)) or bool(exif) or "exif" in image.info
