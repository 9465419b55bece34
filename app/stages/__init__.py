"""One narrow adapter per pipeline stage; see ``base`` for the protocols they satisfy."""
