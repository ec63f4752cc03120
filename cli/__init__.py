"""The click command layer, installed as ``bcdcodec.cli`` (thin: parse, validate, call the API, print)."""
