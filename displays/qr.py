"""QR codes for pages: the booking confirmation (its check-in address) and the kiosk's fallback
when a ticket could not be printed (its tracking address), as SVG a phone or a screen scales."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg


def qr_svg(data: str) -> bytes:
    """An SVG of `data` as a QR code (error correction M, the printed tickets' level)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(data)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()
