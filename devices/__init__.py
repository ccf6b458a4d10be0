"""Hardware devices: the msgpack device protocol, sessions, kiosks, printers, pads, keypads."""
