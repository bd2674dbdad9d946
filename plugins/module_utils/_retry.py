# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy every API wrapper in this collection uses."""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# AWSRetry's built-in list misses the codes ECS and SSM actually send when throttling.
RETRYABLE_EXTRA_CODES = ["ThrottlingException", "TooManyRequestsException", "SlowDown"]

# Short first delay: botocore already retried a few times before we see the error.
fleet_retry = AWSRetry.jittered_backoff(retries=10, delay=1, backoff=2.0, max_delay=20, catch_extra_error_codes=RETRYABLE_EXTRA_CODES)
