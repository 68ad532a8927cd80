# Copyright: curtain contributors
# Apache License 2.0
"""How every filter plugin reports a model's error: as an AnsibleFilterError carrying the model's message.

The models (etcd_model, artifacts, kube_*) raise ValueError subclasses whose message names the variable to fix;
one with an `errors` list (kube_manifests) reports all of them at once. Controller side only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError


def reported_as_filter_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ValueError as error:
            messages = getattr(error, "errors", None)
            raise AnsibleFilterError("; ".join(messages) if messages else str(error)) from error

    return wrapper
