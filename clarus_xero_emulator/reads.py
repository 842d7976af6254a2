"""List and single-record reads shared by every collection."""

from .common import ApiError, envelope, find_by_id, not_found, output
from .msjson import parse_timestamp
from .query import QueryError, apply_order, compile_where, csv_values, get_path, paginate


def query_error(message):
    return ApiError(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message})


def filter_records(ctx, records, id_field=None, number_field=None, archived=None):
    """Apply If-Modified-Since, where, IDs, InvoiceNumbers, ContactIDs, Statuses, order."""
    records = list(records)
    ims = ctx.headers.get("If-Modified-Since")
    if ims:
        try:
            since_ms = int(parse_timestamp(ims) * 1000)
        except ValueError:
            raise query_error("Invalid If-Modified-Since header %r" % ims)
        records = [r for r in records if int(r.get("_updated", 0) * 1000) >= since_ms]
    if archived and not ctx.flag("includeArchived"):
        field, value = archived
        records = [r for r in records if r.get(field) != value]
    where = ctx.param("where")
    if where:
        try:
            predicate = compile_where(where)
        except QueryError as exc:
            raise query_error(str(exc))
        records = [r for r in records if predicate(r)]
    filters = (("IDs", [id_field]), ("InvoiceNumbers", [number_field]),
               ("ContactIDs", ["Contact", "ContactID"]), ("Statuses", ["Status"]),
               ("Status", ["Status"]))
    for param, path in filters:
        values = csv_values(ctx.params, param)
        if values is None or path[0] is None:
            continue
        records = [r for r in records if str(get_path(r, path) or "").lower() in values]
    return apply_order(records, ctx.param("order"))


def list_response(ctx, collection, records, paged=False, **kwargs):
    rows = filter_records(ctx, records, **kwargs)
    pagination = None
    if paged:
        try:
            rows, pagination = paginate(rows, {k: v for k, v in ctx.params.items()
                                               if k in ("page", "pageSize")})
        except QueryError as exc:
            raise query_error(str(exc))
    return envelope(ctx, collection, [output(ctx, r) for r in rows], pagination)


def get_one(ctx, collection, key, number_field=None):
    rec = find_by_id(ctx, collection, key, number_field)
    if rec is None:
        raise not_found()
    return rec
