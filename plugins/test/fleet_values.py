# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests for the values the roles and playbooks write into hosts' files and AWS calls, and for signatures."""

from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.values import is_aws_region
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.values import is_no_proxy_list
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.values import is_pinned_signature
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.values import is_proxy_url
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.values import is_single_line
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.values import is_single_line_values


class TestModule:
    def tests(self):
        return {
            "aws_region": is_aws_region,
            "proxy_url": is_proxy_url,
            "no_proxy_list": is_no_proxy_list,
            "single_line": is_single_line,
            "single_line_values": is_single_line_values,
            "pinned_signature": is_pinned_signature,
        }
