"""Read-side query support: ``where`` expressions, ID lists, ordering, paging, If-Modified-Since."""

import datetime as dt
import re

from .msjson import UTC, ms_to_ts, parse_date

TOKEN_RE = re.compile(
    r"""\s*(?:
    (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|>=|<=|&&|\|\||[<>()!,=])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)
METHODS = {"contains", "startswith", "endswith"}
COMPARE = {"==", "!=", ">=", "<=", ">", "<", "="}
MAX_PAGE_SIZE = 1000


class QueryError(ValueError):
    pass


def tokenize(text):
    pos, tokens = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError("Unexpected character at position %d in where clause" % pos)
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        elif kind == "ident" and value.upper() in ("AND", "OR", "NOT"):
            kind, value = "op", {"AND": "&&", "OR": "||", "NOT": "!"}[value.upper()]
        tokens.append((kind, value))
    return tokens


class Parser:
    def __init__(self, text):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None or (value is not None and tok[1] != value):
            raise QueryError("Expected %r in where clause" % (value or "a term"))
        self.i += 1
        return tok

    def parse(self):
        if not self.tokens:
            raise QueryError("Empty where clause")
        node = self.or_expr()
        if self.i != len(self.tokens):
            raise QueryError("Unexpected %r in where clause" % (self.peek()[1],))
        return node

    def or_expr(self):
        node = self.and_expr()
        while self.peek() == ("op", "||"):
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            node = ("and", node, self.unary())
        return node

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            return ("not", self.unary())
        if self.peek() == ("op", "("):
            self.take()
            node = self.or_expr()
            self.take(")")
            return node
        left = self.operand()
        kind, value = self.peek()
        if kind == "op" and value in COMPARE:
            self.take()
            return ("cmp", "==" if value == "=" else value, left, self.operand())
        if left[0] in ("call", "field"):
            return ("truthy", left)
        raise QueryError("Expected a comparison in where clause")

    def args(self):
        self.take("(")
        out = []
        if self.peek() != ("op", ")"):
            while True:
                kind, value = self.take()
                if kind not in ("str", "num"):
                    raise QueryError("Function arguments must be literals")
                out.append(value if kind == "str" else float(value))
                if self.peek() == ("op", ","):
                    self.take()
                    continue
                break
        self.take(")")
        return out

    def operand(self):
        kind, value = self.take()
        if kind == "str":
            return ("lit", value)
        if kind == "num":
            return ("lit", float(value))
        if kind != "ident":
            raise QueryError("Unexpected %r in where clause" % value)
        low = value.lower()
        if low in ("true", "false"):
            return ("lit", low == "true")
        if low == "null":
            return ("lit", None)
        if self.peek() == ("op", "("):
            args = self.args()
            if low == "guid":
                if len(args) != 1 or not isinstance(args[0], str):
                    raise QueryError("guid() takes one string")
                return ("lit", args[0].lower())
            if low in ("datetime", "datetimeoffset"):
                try:
                    parts = [int(a) for a in args]
                    return ("lit", dt.datetime(*parts, tzinfo=UTC))
                except (TypeError, ValueError):
                    raise QueryError("Invalid DateTime() in where clause")
            path, _, method = value.rpartition(".")
            if method.lower() not in METHODS or not path or len(args) != 1:
                raise QueryError("Unsupported function %r in where clause" % value)
            return ("call", path.split("."), method.lower(), str(args[0]))
        return ("field", value.split("."))


def get_path(record, path):
    value = record
    for part in path:
        if not isinstance(value, dict):
            return None
        if part in value:
            value = value[part]
            continue
        low = part.lower()
        value = next((v for k, v in value.items() if k.lower() == low), None)
    return value


def _coerce(field_value, literal):
    if isinstance(literal, dt.datetime):
        ts = ms_to_ts(field_value)
        if ts is None:
            try:
                ts = parse_date(field_value)
            except ValueError:
                ts = None
        return ts, literal.timestamp()
    if isinstance(literal, bool) or isinstance(field_value, bool):
        return field_value, literal
    if isinstance(literal, float):
        try:
            return float(field_value), literal
        except (TypeError, ValueError):
            return None, literal
    if isinstance(literal, str):
        return (None if field_value is None else str(field_value).lower()), literal.lower()
    return field_value, literal


def evaluate(node, record):
    op = node[0]
    if op == "or":
        return evaluate(node[1], record) or evaluate(node[2], record)
    if op == "and":
        return evaluate(node[1], record) and evaluate(node[2], record)
    if op == "not":
        return not evaluate(node[1], record)
    if op == "truthy":
        inner = node[1]
        if inner[0] == "call":
            text = str(get_path(record, inner[1]) or "").lower()
            arg = inner[3].lower()
            return {"contains": arg in text, "startswith": text.startswith(arg),
                    "endswith": text.endswith(arg)}[inner[2]]
        return bool(get_path(record, inner[1]))
    _, cmp, left, right = node
    if left[0] == "lit" and right[0] == "field":
        left, right = right, left
        cmp = {">": "<", "<": ">", ">=": "<=", "<=": ">="}.get(cmp, cmp)
    lval = get_path(record, left[1]) if left[0] == "field" else left[1]
    rval = get_path(record, right[1]) if right[0] == "field" else right[1]
    if rval is None or lval is None:
        empty_l = lval in (None, "")
        empty_r = rval in (None, "")
        if cmp == "==":
            return empty_l and empty_r
        if cmp == "!=":
            return empty_l != empty_r
        return False
    lval, rval = _coerce(lval, rval)
    if lval is None:
        return cmp == "!="
    try:
        return {"==": lval == rval, "!=": lval != rval, ">": lval > rval, "<": lval < rval,
                ">=": lval >= rval, "<=": lval <= rval}[cmp]
    except TypeError:
        return False


def compile_where(text):
    node = Parser(text).parse()
    return lambda record: evaluate(node, record)


def csv_values(params, name):
    raw = params.get(name)
    if not raw:
        return None
    return [v.strip().lower() for v in raw.split(",") if v.strip()]


def apply_order(records, order):
    if not order:
        return records
    for clause in reversed([c.strip() for c in order.split(",") if c.strip()]):
        parts = clause.split()
        path = parts[0].split(".")
        desc = len(parts) > 1 and parts[1].upper() == "DESC"

        def key(rec, path=path):
            value = get_path(rec, path)
            ts = ms_to_ts(value)
            if ts is not None:
                return (1, ts)
            if isinstance(value, (int, float)):
                return (1, value)
            return (0 if value is None else 2, str(value or "").lower())

        records = sorted(records, key=key, reverse=desc)
    return records


def paginate(records, params):
    """Slice by page/pageSize when ``page`` is given; returns (records, pagination or None)."""
    if "page" not in params:
        return records, None
    try:
        page = int(params.get("page") or 1)
        size = int(params.get("pageSize") or 100)
    except ValueError:
        raise QueryError("page and pageSize must be integers")
    if page < 1:
        raise QueryError("page must be 1 or more")
    if not 1 <= size <= MAX_PAGE_SIZE:
        # Xero: pageSize up to 1000 (XERO_API §3); a size outside 1..1000 is refused
        # rather than silently cut (strict reading; wording chosen).
        raise QueryError("pageSize must be between 1 and %d" % MAX_PAGE_SIZE)
    count = len(records)
    pages = (count + size - 1) // size
    chunk = records[(page - 1) * size: page * size]
    return chunk, {"page": page, "pageSize": size, "pageCount": pages, "itemCount": count}
