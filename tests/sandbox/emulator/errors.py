"""AWS error responses in the wire shapes botocore parses into the same exceptions as against AWS."""
import json
import uuid


class AwsError(Exception):
    """An error the emulated service answers with; `code` becomes botocore's Error.Code."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def request_id():
    return str(uuid.uuid4())


def json_error(err):
    """JSON 1.1 protocol (SSM, ECS): botocore reads `__type` as the code."""
    body = json.dumps({"__type": err.code, "message": err.message})
    return err.status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id()}, body


def query_error(err):
    """Query protocol (IAM, STS): XML ErrorResponse."""
    rid = request_id()
    body = ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>%s</RequestId></ErrorResponse>" % (err.code, err.message, rid))
    return err.status, {"Content-Type": "text/xml", "x-amzn-RequestId": rid}, body


# Shortcuts for the codes both services share; botocore maps them by code, not by class.
def validation(message):
    return AwsError("ValidationException", message)


def ecs_invalid(message):
    return AwsError("InvalidParameterException", message)


def ecs_client(message):
    return AwsError("ClientException", message)


def cluster_not_found():
    return AwsError("ClusterNotFoundException", "Cluster not found.")
