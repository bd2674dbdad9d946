"""Resource Groups Tagging API, GetResources, for what the project layer owns: SSM managed instances.

moto's GetResources does not know the layer's managed instances, so a call asking only for
`ssm:managed-instance` (by type filter or by ARN list) is answered here; anything else goes to moto.
As AWS does, only resources that carry tags are returned, the last page has PaginationToken "", and
TagFilters match a key with any of its values (no values: the key alone).
"""
from .errors import AwsError
from .pagination import paginate
from .ssm import managed_instance_arn

MANAGED_INSTANCE_TYPE = "ssm:managed-instance"


def _invalid_token():
    return AwsError("InvalidParameterException", "The pagination token is not valid.")


class TaggingService:
    def __init__(self, emu):
        self.emu = emu

    def handle(self, req):
        if req.operation != "GetResources":
            return None
        p = req.params()
        arns = p.get("ResourceARNList") or []
        types = p.get("ResourceTypeFilters") or []
        prefix = managed_instance_arn(req.region)
        if arns:
            if not all(a.startswith(prefix) for a in arns):
                return None
            if any(k in p for k in ("ResourcesPerPage", "TagsPerPage", "PaginationToken")):
                raise AwsError("InvalidParameterException",
                               "ResourceARNList can't be specified with pagination parameters.")
            wanted = {a[len(prefix):] for a in arns}
        elif types and all(t == MANAGED_INSTANCE_TYPE for t in types):
            wanted = None
        else:
            return None
        per_page = p.get("ResourcesPerPage", 50)
        if not isinstance(per_page, int) or not 1 <= per_page <= 100:
            raise AwsError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100.")
        instances = self.emu.ssm.region(req.region).instances.values()
        tag_filters = p.get("TagFilters") or []
        tagged = [i for i in instances if i.tags and (wanted is None or i.instance_id in wanted)
                  and _matches(i.tags, tag_filters)]
        page, token = paginate(tagged, per_page, p.get("PaginationToken"), _invalid_token)
        return {"PaginationToken": token or "",
                "ResourceTagMappingList": [{"ResourceARN": managed_instance_arn(req.region, i.instance_id),
                                            "Tags": [{"Key": k, "Value": v} for k, v in i.tags.items()]}
                                           for i in page]}


def _matches(tags, tag_filters):
    for flt in tag_filters:
        key, values = flt.get("Key"), flt.get("Values") or []
        if key not in tags or (values and tags[key] not in values):
            return False
    return True
