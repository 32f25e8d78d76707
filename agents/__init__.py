"""Who acts in a park: companies, the park operator and the public authority (Mesa agents)."""

from agents.authority import Authority
from agents.company import Company
from agents.park_operator import ParkOperator

__all__ = ["Authority", "Company", "ParkOperator"]
