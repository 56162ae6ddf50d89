"""Image intake: bad uploads are refused with clear codes, good ones come out upright."""

import io
import struct
import zlib

import pytest
from PIL import Image

from motormall.platform.errors import Invalid
from motormall.vision.intake import load


def jpeg(w=640, h=480, colour=(200, 30, 30), exif_orientation=None) -> bytes:
    img = Image.new("RGB", (w, h), colour)
    buf = io.BytesIO()
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        img.save(buf, "JPEG", exif=exif)
    else:
        img.save(buf, "JPEG")
    return buf.getvalue()


def png_header_claiming(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR for a huge image, with a tiny body: a pixel bomb."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )


def code_of(data, **limits):
    with pytest.raises(Invalid) as err:
        load(data, **limits)
    return err.value.code


def test_a_good_photo_is_decoded_to_rgb_and_scaled_down():
    photo = load(jpeg(3000, 2000))
    assert photo.format == "JPEG" and photo.original_size == (3000, 2000)
    assert photo.image.mode == "RGB" and max(photo.image.size) <= 1024


def test_exif_orientation_is_applied():
    # orientation 6: the camera was turned; the upright picture is taller than wide
    photo = load(jpeg(400, 200, exif_orientation=6))
    assert photo.image.size == (200, 400)


def test_refusals_have_stable_codes():
    assert code_of(b"") == "empty_file"
    assert code_of(b"just some text, not a picture") == "not_an_image"
    assert code_of(jpeg(), max_bytes=100) == "image_too_large"
    assert code_of(png_header_claiming(100_000, 100_000)) == "image_too_many_pixels"
    truncated = jpeg(800, 600)[:2000]
    assert code_of(truncated) == "corrupt_image"
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    assert code_of(gif.getvalue()) == "unsupported_image_format"


def test_the_format_is_read_from_the_content_not_the_name():
    png = io.BytesIO()
    Image.new("RGB", (50, 40), (1, 2, 3)).save(png, "PNG")
    assert load(png.getvalue()).format == "PNG"  # whatever the upload's file name said


def test_a_moderately_oversized_image_is_refused_by_our_own_limit():
    assert code_of(png_header_claiming(9_000, 9_000)) == "image_too_many_pixels"  # 81 MP


def _png(w, h, mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (w, h)).save(buf, "PNG")
    return buf.getvalue()


def test_a_png_too_large_to_decode_whole_is_refused_from_its_header():
    # 6300 × 6300 zeros: 115 KB on the wire, under the header's 40 MP, but 120 MB decoded
    bomb = _png(6300, 6300)
    assert len(bomb) < 200_000
    assert code_of(bomb) == "image_too_many_pixels"


def test_a_large_jpeg_still_passes_because_it_decodes_at_a_reduced_scale():
    photo = load(jpeg(6000, 4000))  # 24 MP, decoded at 1/4 scale
    assert max(photo.image.size) == 1024 and photo.original_size == (6000, 4000)


def test_palette_and_transparent_pngs_come_out_rgb_and_upright():
    for mode in ("P", "RGBA", "L", "I;16"):
        photo = load(_png(3000, 2000, mode))
        assert photo.image.mode == "RGB" and photo.image.size == (1024, 683), mode
