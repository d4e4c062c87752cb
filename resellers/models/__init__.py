"""The resellers app's models, one module per sub-domain, all importable from here."""

from resellers.models.advertising import AdvertisingRequest
from resellers.models.branding import Branding, ResellerHostname, branding_logo_path
from resellers.models.commission import CommissionPlan, CommissionPlanTier
from resellers.models.onboarding import TermsAcceptance, TermsDocument
from resellers.models.reseller import MAX_SUBRESELLER_DEPTH, Reseller, ResellerQuerySet

__all__ = [
    "MAX_SUBRESELLER_DEPTH",
    "AdvertisingRequest",
    "Branding",
    "CommissionPlan",
    "CommissionPlanTier",
    "Reseller",
    "ResellerHostname",
    "ResellerQuerySet",
    "TermsAcceptance",
    "TermsDocument",
    "branding_logo_path",
]
