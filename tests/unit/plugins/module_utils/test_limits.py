"""Every per-call limit the collection chunks to, next to botocore's model (or the API reference text it carries).

A limit the model bounds must equal the model's bound; a limit only the API reference states must appear
in that text and have no model bound (if botocore adds one, the test says so and the limit moves to LIMITS).
"""
import botocore.session
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _batching
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import DOCUMENTED_ONLY
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import LIMITS

_SESSION = botocore.session.get_session()


def model_member(service, operation, path):
    """(shape, documentation) of an input member; path 'a[].b' steps into list members; '' is the operation."""
    op = _SESSION.get_service_model(service).operation_model(operation)
    shape, doc = op.input_shape, op.documentation
    for part in filter(None, path.split(".")):
        name = part[:-2] if part.endswith("[]") else part
        doc = shape.members[name].documentation
        shape = shape.members[name]
        if part.endswith("[]"):
            shape = shape.member
    return shape, " ".join(doc.split())


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_limit_equals_botocore_model(name):
    limit = LIMITS[name]
    shape, _doc = model_member(limit.service, limit.operation, limit.shape)
    model_value = shape.metadata.get(limit.bound)
    print(f"{name:35} ours {limit.value:5}  model {limit.service}:{limit.operation} {limit.shape} {limit.bound} {model_value}")
    assert model_value == limit.value
    assert getattr(_batching, name) == limit.value


@pytest.mark.parametrize("name", sorted(DOCUMENTED_ONLY))
def test_documented_limit_is_in_the_api_reference_and_not_in_the_model(name):
    limit = DOCUMENTED_ONLY[name]
    shape, doc = model_member(limit.service, limit.operation, limit.shape)
    print(f"{name:35} ours {limit.value:5}  API reference {limit.service}:{limit.operation} {limit.shape or '(operation)'}: '{limit.bound}'")
    assert limit.bound in doc
    assert str(limit.value) in limit.bound
    if limit.shape:
        assert "max" not in shape.metadata, f"botocore now bounds {limit.shape}: move {name} to LIMITS"
    assert getattr(_batching, name) == limit.value


def test_every_limit_constant_is_listed_against_a_source():
    constants = {n for n in dir(_batching) if n.isupper() and n.startswith(("ECS_", "SSM_", "TAGGING_"))}
    # Our own bound where AWS documents none (kept at the SSM-wide filter value maximum).
    own = {"SSM_ACTIVATION_FILTER_VALUES"}
    assert constants - own == set(LIMITS) | set(DOCUMENTED_ONLY)
    assert _batching.SSM_ACTIVATION_FILTER_VALUES <= _batching.SSM_FILTER_VALUES
