"""The limits table (tests/sandbox/emulator/limits.py) against botocore's service model: every row the model covers
agrees with the model's min/max/pattern, and every min/max the model puts on an operation of the table is a row
(or is listed below with the reason it is not enforced)."""
import botocore.session
import pytest

from tests.sandbox.emulator.limits import LIMITS

MEASURE_OF_TYPE = {"list": "items", "string": "length", "integer": "value"}
# Model constraints on the table's operations that the emulator does not enforce, and why.
NOT_ENFORCED = {
    # Java's \p{...} classes have no equivalent in Python's re; tag characters are not checked.
    ("pattern", "\\p{"): "tag character classes",
    # RegistrationMetadata is accepted and ignored by the emulator; its "not blank" pattern is not checked.
    ("pattern", "^(?!\\s*$).+"): "RegistrationMetadata not-blank pattern",
}
# (operation or None for any, member path prefix): nested structures the collection never sends, and task tags
# (tasks are started by the tests only; the collection never tags them).
IGNORED_MEMBERS = (
    (None, "capacityProviderStrategy"), (None, "defaultCapacityProviderStrategy"), (None, "overrides"),
    (None, "volumeConfigurations"), ("RunTask", "tags"), ("StartTask", "tags"),
)
SESSION = botocore.session.get_session()


def _shape(service, operation, path):
    shape = SESSION.get_service_model(service).operation_model(operation).input_shape
    for segment in path.split("."):
        name = segment.rstrip("[]")
        if name:
            shape = shape.members[name]
        for _ in range(segment.count("[]")):
            shape = shape.member
    return shape


def _model_constraints(service, operation):
    """(path, type, kind, value) for every min/max/pattern on the operation's input."""
    found = []

    def walk(shape, path, seen):
        if shape.name in seen:
            return
        seen = seen | {shape.name}
        for kind in ("min", "max", "pattern"):
            if kind in shape.metadata:
                found.append((path, shape.type_name, kind, shape.metadata[kind]))
        if shape.type_name == "structure":
            for name, member in shape.members.items():
                walk(member, (path + "." if path else "") + name, seen)
        elif shape.type_name == "list":
            walk(shape.member, path + "[]", seen)
    walk(SESSION.get_service_model(service).operation_model(operation).input_shape, "", frozenset())
    return found


@pytest.mark.parametrize("row", [r for r in LIMITS if r.from_model],
                         ids=lambda r: "%s:%s:%s:%s" % (r.service, r.operation, r.path, r.measure))
def test_model_rows_agree_with_botocore(row):
    metadata = _shape(row.service, row.operation, row.path).metadata
    if row.measure == "pattern":
        assert metadata.get("pattern") == row.high
        return
    assert (metadata.get("min"), metadata.get("max")) == (row.low, row.high)


@pytest.mark.parametrize("operation", sorted({(r.service, r.operation) for r in LIMITS}), ids=":".join)
def test_every_model_constraint_of_a_served_operation_is_in_the_table(operation):
    service, name = operation
    rows = [r for r in LIMITS if (r.service, r.operation) == operation and r.when is None]
    missing = []
    for path, type_name, kind, value in _model_constraints(service, name):
        if any(op in (None, name) and path.startswith(prefix) for op, prefix in IGNORED_MEMBERS):
            continue
        if kind == "min" and value == 0:
            continue  # nothing can be shorter than empty
        if kind == "pattern":
            if any(marker in value for (k, marker) in NOT_ENFORCED if k == "pattern"):
                continue
            if not any(r.path == path and r.measure == "pattern" and r.high == value for r in rows):
                missing.append((path, kind, value))
            continue
        measure = MEASURE_OF_TYPE[type_name]
        bound = "low" if kind == "min" else "high"
        if not any(r.path == path and r.measure == measure and getattr(r, bound) == value for r in rows):
            missing.append((path, kind, value))
    assert missing == [], "model constraints without a row in limits.py: %s" % missing


def test_every_table_row_names_a_member_of_the_request():
    """A typo in a path would make a row enforce nothing; every path must exist in the model."""
    for row in LIMITS:
        _shape(row.service, row.operation, row.path)
