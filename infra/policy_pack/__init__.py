"""The CrossGuard policy pack: ``pulumi preview --policy-pack infra/policy_pack`` (docs/deploy.md)."""
