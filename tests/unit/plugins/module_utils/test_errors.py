import botocore.exceptions
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetAWSError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import describe_failure
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import error_code
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import handle_errors


def client_error(code, message="boom"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, "Op")


@pytest.mark.parametrize("code,fragment", [
    ("ClusterNotFoundException", "ecs_cluster"),
    ("AccessDeniedException", "IAM policy"),
    ("InvalidActivation", "create a new one"),
    ("ClusterContainsContainerInstancesException", "deregister its container instances"),
    ("ExpiredTokenException", "refresh the credentials"),
])
def test_known_codes_get_a_next_step(code, fragment):
    message = describe_failure("do a thing", client_error(code))
    assert message.startswith(f"Failed to do a thing ({code}); ")
    assert fragment in message


def test_unknown_code_still_names_action_and_code():
    assert describe_failure("do a thing", client_error("Weird")) == "Failed to do a thing (Weird)"
    assert error_code(ValueError("x")) is None


def test_handler_maps_missing_and_wraps_others():
    @handle_errors("look it up", missing_codes=("NotThere",), missing_value="gone")
    def call(exc):
        raise exc

    assert call(client_error("NotThere")) == "gone"
    with pytest.raises(FleetAWSError) as info:
        call(client_error("AccessDeniedException"))
    assert "Failed to look it up" in info.value.message
    assert isinstance(info.value.exception, botocore.exceptions.ClientError)
    with pytest.raises(FleetAWSError, match="look it up"):
        call(botocore.exceptions.EndpointConnectionError(endpoint_url="http://x"))
