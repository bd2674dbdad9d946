"""Opaque NextToken pagination over an already filtered, stably ordered list."""
import base64
import json


def paginate(items, max_results, next_token, invalid_token):
    """Return (page, token_or_None). `invalid_token` builds the service's own error for a bad token."""
    start = 0
    if next_token:
        try:
            start = int(json.loads(base64.b64decode(next_token.encode(), validate=True))["o"])
        except (ValueError, KeyError, TypeError):
            raise invalid_token() from None
        if start < 0:
            raise invalid_token()
    end = start + max_results
    token = None
    if end < len(items):
        token = base64.b64encode(json.dumps({"o": end}).encode()).decode()
    return items[start:end], token
