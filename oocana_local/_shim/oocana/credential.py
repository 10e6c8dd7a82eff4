"""``oocana.credential``: what a ``oomol/credential`` input holds (oocana-local's own
class, the one the worker builds from ``${{OO_CREDENTIAL:type,name,id}}``)."""

from oocana_local.secrets import CredentialInput

__all__ = ["CredentialInput"]
