"""Everything that touches moto: forwarding requests to its server app and reaching into its backends.

moto runs in this process, so the project layer reads moto's models (clusters, task definitions, IAM roles)
directly instead of calling itself over HTTP.
"""
import io
import json

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict, backend_lock
from moto.core.config import default_user_config
from moto.core.model_instances import reset_model_data
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from .ecs_task_definitions import resolve as resolve_task_definition
from .errors import cluster_not_found

ACCOUNT_ID = DEFAULT_ACCOUNT_ID


class MotoResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else {}


class PassThrough(Exception):
    """moto answered with an error: relay it to the client unchanged."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


def _load_aws_managed_policies():
    """AWS accounts come with AWS managed policies (AmazonSSMManagedInstanceCore, ...); moto leaves them out
    unless asked, and attaching one then fails with NoSuchEntity. moto re-parses 4.7 MB of policy JSON for
    every new IAM backend, i.e. after every reset; parse it once (from_data only reads the dicts)."""
    from moto.iam import models as iam_models

    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True
    parsed = json.loads(iam_models.aws_managed_policies_data)

    def init_aws_policies(backend):
        return [iam_models.AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
                for name, data in parsed.items()]
    iam_models.IAMBackend._init_aws_policies = init_aws_policies


class MotoBridge:
    def __init__(self):
        _load_aws_managed_policies()
        self.app = DomainDispatcherApplication(create_backend_app)

    def forward(self, req, operation=None, params=None):
        """Hand the request to moto, optionally as another JSON operation with another body."""
        environ = dict(req.environ)
        body = req.body if params is None else json.dumps(params).encode()
        if operation:
            environ["HTTP_X_AMZ_TARGET"] = environ["HTTP_X_AMZ_TARGET"].split(".")[0] + "." + operation
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        if not req.signed and req.service:
            # moto routes by the SigV4 credential scope; give unsigned raw calls one (never validated).
            environ["HTTP_AUTHORIZATION"] = (
                "AWS4-HMAC-SHA256 Credential=testing/20200101/%s/%s/aws4_request, SignedHeaders=host, Signature=0"
                % (req.region, req.service))
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            captured["headers"] = headers

        chunks = self.app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return MotoResponse(captured["status"], captured["headers"], body)

    def forward_json(self, req, operation=None, params=None):
        """Forward and return moto's JSON body; moto's errors pass through to the client as they are."""
        response = self.forward(req, operation, params)
        if response.status != 200:
            raise PassThrough(response)
        return response.json()

    @staticmethod
    def reset():
        """moto's own reset re-initialises every backend and then drops them all anyway; IAM alone (1,500
        managed policies) makes that cost seconds on a busy machine. Dropping them is the same end state:
        backends are re-created empty on first use."""
        with backend_lock:
            for backend_dict in BackendDict._instances:
                backend_dict.clear()
            BackendDict._instances.clear()
        reset_model_data()

    # --- moto models -------------------------------------------------------------------------------------------
    @staticmethod
    def ecs(region):
        from moto.ecs.models import ecs_backends
        return ecs_backends[ACCOUNT_ID][region]

    def cluster(self, region, name_or_arn, create=False):
        """moto's Cluster for a name or ARN (default cluster 'default'), else ClusterNotFoundException."""
        name = (name_or_arn or "default").split("/")[-1]
        backend = self.ecs(region)
        cluster = backend.clusters.get(name)
        if cluster is None and create:
            cluster = backend.create_cluster(name)
        if cluster is None or cluster.status != "ACTIVE":
            raise cluster_not_found()
        return cluster

    def task_definition(self, region, name_or_arn):
        return resolve_task_definition(self.ecs(region), name_or_arn)

    @staticmethod
    def iam_role_exists(name):
        from moto.iam.models import iam_backends
        try:
            iam_backends[ACCOUNT_ID]["global"].get_role(name)
        except Exception:  # moto raises its own IAMNotFoundException; any failure means "no such role"
            return False
        return True
