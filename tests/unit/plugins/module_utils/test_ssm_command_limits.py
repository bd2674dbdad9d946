"""ssm_command's limits against botocore's model: what it chunks and checks to (SendCommand, ListCommandInvocations)
and the output sizes it flags as truncated."""
import botocore.session
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ssm_commands
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import MAX_CONCURRENCY_PATTERN
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import MAX_ERRORS_PATTERN
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import RATE_LENGTH
from tests.unit.plugins.module_utils.test_limits import model_member

MODEL = botocore.session.get_session().get_service_model("ssm")


@pytest.mark.parametrize("name", sorted(_ssm_commands.LIMITS))
def test_limit_equals_botocore_model(name):
    limit = _ssm_commands.LIMITS[name]
    shape, _doc = model_member(limit.service, limit.operation, limit.shape)
    assert shape.metadata.get(limit.bound) == limit.value == getattr(_ssm_commands, name)


@pytest.mark.parametrize("name", sorted(_ssm_commands.OUTPUT_LIMITS))
def test_output_limits_equal_the_response_shapes(name):
    shape_name, member, value = _ssm_commands.OUTPUT_LIMITS[name]
    assert MODEL.shape_for(shape_name).members[member].metadata["max"] == value == getattr(_ssm_commands, name)


@pytest.mark.parametrize("member, pattern", [("MaxConcurrency", MAX_CONCURRENCY_PATTERN), ("MaxErrors", MAX_ERRORS_PATTERN)])
def test_rate_patterns_are_the_models(member, pattern):
    shape, _doc = model_member("ssm", "SendCommand", member)
    assert (shape.metadata["pattern"], shape.metadata["max"]) == (pattern.pattern, RATE_LENGTH)
