"""Entry point Pulumi runs for ``--policy-pack infra/policy_pack``: serve the pack's policies.

``PolicyPack(...)`` starts the analyzer's gRPC server and blocks, so the policies live in
``stack_policies.py`` (importable by the tests) and only this script builds the pack.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # Pulumi runs this file as a script

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from infra.policy_pack.stack_policies import PACK_NAME, POLICIES  # noqa: E402

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
