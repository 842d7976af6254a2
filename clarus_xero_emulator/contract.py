"""Optional request contract check against Xero's official accounting OpenAPI spec.

The spec is loaded lazily, once per process per path, with every ``readOnly`` property
removed (Xero's SDK sends read-only fields such as ``HasAttachments`` and the spec would
otherwise reject its own payloads).
"""

import threading
import warnings

SERVER_URL = "http://emulator.invalid/api.xro/2.0"
_CACHE = {}
_LOCK = threading.Lock()


def _strip_read_only(node):
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for key in [k for k, v in props.items() if isinstance(v, dict) and v.get("readOnly")]:
                del props[key]
            required = node.get("required")
            if isinstance(required, list):
                node["required"] = [r for r in required if r in props] or None
                if node["required"] is None:
                    del node["required"]
        node.pop("readOnly", None)
        for value in node.values():
            _strip_read_only(value)
    elif isinstance(node, list):
        for value in node:
            _strip_read_only(value)


def load_spec(path):
    """The parsed, cached ``openapi_core.OpenAPI`` object for a spec file."""
    with _LOCK:
        if path in _CACHE:
            return _CACHE[path]
        import yaml
        from openapi_core import Config, OpenAPI

        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        _strip_read_only(data)
        data["servers"] = [{"url": SERVER_URL}]
        spec = OpenAPI.from_dict(data, config=Config(spec_validator_cls=None))
        _CACHE[path] = spec
        return spec


def validate(path, method, sub_path, query, headers, body, content_type):
    """None when the request fits the spec, else the validator's message.

    Unknown paths/operations and path-parameter formats are left to the router (Xero accepts
    numbers as well as GUIDs in many path positions).
    """
    from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
    from openapi_core.testing import MockRequest
    from openapi_core.validation.request.exceptions import ParameterValidationError

    spec = load_spec(path)
    base, _, prefix = SERVER_URL.partition("://")
    host, _, root = prefix.partition("/")
    request = MockRequest("%s://%s" % (base, host), method, "/" + root + sub_path, args=query,
                          headers=headers, data=body or None,
                          content_type=content_type or "application/json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            spec.validate_request(request)
        except (PathNotFound, OperationNotFound):
            return None
        except ParameterValidationError as exc:
            if getattr(exc, "location", "") == "path":
                return None
            return _message(exc)
        except Exception as exc:  # openapi-core raises many distinct validation errors
            return _message(exc)
    return None


def _message(exc):
    parts = [str(exc)]
    cause = exc.__cause__
    errors = getattr(cause, "schema_errors", None)
    if errors:
        parts.append("; ".join(getattr(e, "message", str(e)) for e in errors))
    elif cause is not None and str(cause) not in parts[0]:
        parts.append(str(cause))
    return ": ".join(p for p in parts if p)
