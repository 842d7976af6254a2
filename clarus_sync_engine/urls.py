"""GET look-ups that fit Xero's URL limit, measured as the SDK will send them.

Xero answers a GET whose URL is longer than about 2,000 characters with **404** ("The
resource you're looking for cannot be found"), not 400 (XERO_API §8): a long ``where``
chain or ``IDs=`` list would then look like "not in Xero" and the record would be
created twice. So every look-up is cut into chunks whose *full encoded URL* (scheme,
host, path and query string) stays at or below ``URL_BUDGET``.

How xero-python 15.2.0 builds a GET URL (``rest.py`` -> urllib3 1.26
``RequestMethods.request_encode_url``): ``url + "?" + urllib.parse.urlencode(fields)``,
where ``fields`` are ``(name, value)`` pairs, list parameters (``IDs``,
``InvoiceNumbers``) joined with commas (``ApiClient.parameters_to_tuples``, format
``csv``), booleans as ``True``/``False``. ``urlencode`` quotes with ``quote_plus``
(UTF-8, space -> ``+``, ``"`` -> ``%22``, ``=`` -> ``%3D``, ``,`` -> ``%2C``), so a
where clause grows by about half once encoded. ``encoded_url`` repeats exactly that.
"""

from urllib.parse import urlencode

# Xero's limit on a whole GET URL, and the budget the engine keeps to (a margin for
# a proxy or a header-borne difference we cannot see).
URL_MAX = 2000
URL_BUDGET = 1900


class UrlTooLong(ValueError):
    """One value alone makes the look-up URL longer than the budget."""


def encoded_url(base_url, params):
    """The URL the SDK requests for ``base_url`` (scheme, host and path) and ``params``.

    ``params`` is a list of ``(name, value)`` pairs with values already joined
    (``IDs`` as ``"a,b"``); ``None`` values are left out, as the SDK leaves them out.
    """
    fields = [(name, value) for name, value in params if value is not None]
    return base_url + ("?" + urlencode(fields) if fields else "")


def chunk_values(base_url, fixed_params, name, values, join, limit=URL_BUDGET):
    """Pack ``values`` greedily into chunks, each a list, whose URL fits ``limit``.

    The chunk's URL is ``encoded_url(base_url, fixed_params + [(name, join(chunk))])``:
    ``join`` turns a list of values into the parameter text (``",".join`` for
    ``IDs``; ``" OR ".join`` of clauses for ``where``). Values keep their order, each
    appears once. Meets Xero's rule that a GET URL over about 2,000 characters answers
    404 (XERO_API §8): the full URL is measured after encoding, not the raw text.
    Raises ``UrlTooLong`` naming the value when one value cannot fit even alone.
    """
    fixed = list(fixed_params)

    def length(chunk):
        return len(encoded_url(base_url, fixed + [(name, join(chunk))]))

    chunks, chunk = [], []
    for value in values:
        if length(chunk + [value]) <= limit:
            chunk.append(value)
            continue
        if length([value]) > limit:
            raise UrlTooLong(
                "The Xero look-up for %r would need a URL of %d characters; Xero accepts "
                "at most about %d. Shorten the value in Odoo." % (value, length([value]),
                                                                  URL_MAX))
        chunks.append(chunk)
        chunk = [value]
    if chunk:
        chunks.append(chunk)
    return chunks


def quoted(value):
    """A string literal for a Xero ``where`` filter: double quotes, backslash-escaped."""
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def equals_clause(field, value):
    """``Field=="value"``: one clause of a ``where`` filter."""
    return "%s==%s" % (field, quoted(value))


def guid_clause(field, value):
    """``Field==guid("...")``: a where clause on an ID field (Xero needs ``guid()``)."""
    return '%s==guid("%s")' % (field, value)


def or_join(clauses):
    """Clauses joined into one ``where`` filter."""
    return " OR ".join(clauses)


def csv_join(values):
    """List values as the SDK sends them (``csv`` collection format)."""
    return ",".join(str(v) for v in values)
