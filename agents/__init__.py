"""Who acts in a park: the companies (a population), the park operator and the authority."""

from agents.authority import Authority
from agents.company import Channel, Companies, Tier
from agents.park_operator import ParkOperator

__all__ = ["Authority", "Channel", "Companies", "ParkOperator", "Tier"]
