"""Writes on resellers, one module per sub-domain. Import from the module:
`from resellers.services.onboarding import reseller_approve`."""
