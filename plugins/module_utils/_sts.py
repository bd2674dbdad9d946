# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which account the credentials belong to: STS GetCallerIdentity, which AWS answers without any IAM permission."""

from ._errors import handle_errors
from ._retry import fleet_retry


@handle_errors("find the account of the credentials (sts:GetCallerIdentity)")
@fleet_retry
def caller_account(client):
    return client.get_caller_identity()["Account"]
