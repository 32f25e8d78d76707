"""Companies: the firms of the park, which produce, learn, search, negotiate and disclose.

A park may hold tens of thousands of firms, so the firms are one population object,
``Companies``, whose state is one array per attribute (one entry per firm) and whose methods are
the firms' decision rules over those arrays: ``companies.produce(...)`` draws every firm's
production in one call (the array-backed agent set of mesa-frames, without a Mesa agent per firm:
nothing reads one). The equations are those of docs/model.md (submodels).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenarios.parameters import ModelParameters


class Tier(enum.IntEnum):
    """What a firm discloses on the digital platform (Fraccascia & Yazan 2018)."""

    NONE = 0  # not a member
    STREAMS = 1  # stream type, quantity and location
    COST_DATA = 2  # also its costs, so partners can verify the split of a deal's value


class Channel(enum.IntEnum):
    """How the two firms of a candidate exchange came to know of each other.

    Lower is more helpful: when a pair is known through several channels, the lowest is used.
    """

    INTRODUCTION = 0  # introduced at the operator's workshop (and maybe brokered)
    PLATFORM = 1  # suggested by the digital platform's matching
    SOCIAL_TIE = 2  # the managers know each other (social network)


@dataclass
class Companies:
    """Every company of the park, one entry per company slot, and the firms' decision rules.

    A slot is taken over by a new firm of the same sector when a firm exits (the site is
    re-let), so arrays keep their length for the whole run.

    Attributes:
        sector: Sector index of each firm.
        size: Multiplier of the sector's per-firm quantities.
        x_km: East coordinate of the site.
        y_km: North coordinate of the site.
        is_recycler: Whether the firm's sector is primarily a recycler (Chertow 2007).
        base_supply: Planned supply, firms x streams, in stream units per month.
        base_need: Planned need, firms x streams, in stream units per month.
        awareness: Knowledge of industrial symbiosis, in [0, 1].
        openness: Openness to share data on a platform, in [0, 1].
        generalized_trust: Trust in firms the firm knows nothing about, in [0, 1].
        trust_in_operator: Trust in the park operator, in [0, 1].
        hurdle_rate: Yearly discount rate at which the firm values a deal.
        valuation_annuity: Present value of 1 EUR a month over the planning horizon at the
            firm's hurdle rate.
        platform_tier: Disclosure tier: 0 not a member, 1 streams, 2 streams and cost data.
        production_level: This month's production relative to plan (0 while stopped).
        stopped_until: Month (0-based) up to which a production stop lasts.
        net_benefit_eur: Cumulative net benefit from symbiosis of the firm holding the slot.
        firm_id: Identifier of the firm holding the slot.
        relations: Trust above the generalized level of pairs that have met, by pair key, with
            the month of their last contact (decays towards 0 without contact).
        opportunism: Yearly chance that the firm acts on a breach it gains from (hold-up or
            reneging), in [0, 1] (docs/model.md, section 7.10a).
        platform_record: Reputation damage of each firm from breaches reported on the platform
            (seen by members; decays each month).
        heard_breaches: Reputation damage of an offender with one firm that heard of its breach
            through a social tie, by (observer * firms + offender), with the month heard.
    """

    sector: np.ndarray
    size: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    is_recycler: np.ndarray
    base_supply: np.ndarray
    base_need: np.ndarray
    awareness: np.ndarray
    openness: np.ndarray
    generalized_trust: np.ndarray
    trust_in_operator: np.ndarray
    hurdle_rate: np.ndarray
    platform_tier: np.ndarray
    production_level: np.ndarray
    stopped_until: np.ndarray
    net_benefit_eur: np.ndarray
    firm_id: np.ndarray
    valuation_annuity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    relations: dict[int, tuple[float, int]] = field(default_factory=dict)
    # learn_from_neighbours' last (tie_from, tie_to, exchanging, rate) and the monthly gain they
    # give: the model passes the same arrays while no exchange starts or ends.
    _learning: tuple[Any, ...] | None = field(default=None, init=False, repr=False, compare=False)
    opportunism: np.ndarray = field(default_factory=lambda: np.zeros(0))
    platform_record: np.ndarray = field(default_factory=lambda: np.zeros(0))
    heard_breaches: dict[int, tuple[float, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Firms built without a propensity or record: none (not opportunistic, clean)."""
        if len(self.opportunism) != len(self.sector):
            self.opportunism = np.zeros(len(self.sector))
        if len(self.platform_record) != len(self.sector):
            self.platform_record = np.zeros(len(self.sector))

    def __len__(self) -> int:
        """Number of company slots."""
        return len(self.sector)

    @classmethod
    def from_park(
        cls,
        park: Any,
        sectors: Any,
        settings: ModelParameters,
        rng: np.random.Generator,
    ) -> Companies:
        """The park's firms with their initial traits drawn around the declared means.

        Args:
            park: The park (``scenarios.parks.Park``): sector, size and site of each firm.
            sectors: The sector catalogue (``scenarios.resources.SectorCatalogue``).
            settings: The run's parameters.
            rng: The model's generator.
        """
        s, n = settings, len(park)
        produces = sectors.produces_per_month[park.sector]
        if s.urban_waste:
            produces = produces + sectors.produces_urban_per_month[park.sector]
        concentration = s.trait_concentration
        companies = cls(
            sector=park.sector.copy(),
            size=park.size.copy(),
            x_km=park.x_km.copy(),
            y_km=park.y_km.copy(),
            is_recycler=sectors.is_recycler[park.sector],
            base_supply=produces * park.size[:, None],
            base_need=sectors.needs_per_month[park.sector] * park.size[:, None],
            awareness=beta_around(s.awareness_mean, n, rng, concentration),
            openness=beta_around(s.openness_mean, n, rng, concentration),
            generalized_trust=beta_around(s.generalized_trust_mean, n, rng, concentration),
            trust_in_operator=beta_around(s.generalized_trust_mean, n, rng, concentration),
            hurdle_rate=s.discount_rate * rng.lognormal(0.0, s.hurdle_rate_spread, n),
            platform_tier=np.zeros(n, dtype=np.int64),
            production_level=np.ones(n),
            stopped_until=np.zeros(n, dtype=np.int64),
            net_benefit_eur=np.zeros(n),
            firm_id=np.arange(n, dtype=np.int64),
        )
        # Drawn last, so that the draws above are those of a model without opportunism.
        companies.opportunism = draw_opportunism(s.opportunism_mean, n, rng, concentration)
        companies.platform_record = np.zeros(n)
        return companies

    def pair_key(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Key of the unordered pair {a, b} of slots."""
        n = len(self)
        return np.minimum(a, b) * n + np.maximum(a, b)

    # --- produce -------------------------------------------------------------------------------

    def produce(
        self,
        month: int,
        rng: np.random.Generator,
        *,
        uncertainty: float,
        turbulence: float,
        stop_probability: float,
        stop_months: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw this month's supply and need of every firm (docs/model.md, section 7.2).

        With probability ``turbulence`` a firm's production level moves by up to
        ``uncertainty`` either way (Albino et al. 2016 separate the two); with probability
        ``stop_probability`` a running firm stops for ``stop_months``.

        Returns:
            (supply, need), each firms x streams, in stream units per month.
        """
        n = len(self)
        shocked = rng.random(n) < turbulence
        level = np.where(shocked, 1.0 + rng.uniform(-uncertainty, uncertainty, n), 1.0)
        stops = (rng.random(n) < stop_probability) & (self.stopped_until <= month)
        self.stopped_until[stops] = month + stop_months
        level[self.stopped_until > month] = 0.0
        self.production_level[:] = level
        return self.base_supply * level[:, None], self.base_need * level[:, None]

    def replace(
        self, leaving: np.ndarray, settings: ModelParameters, rng: np.random.Generator
    ) -> None:
        """New firms take over the sites of ``leaving``: fresh traits, no membership, no benefit.

        The site's sector, size, location and hurdle rate stay; the pair trust of the old firm
        is forgotten.
        """
        s, count = settings, len(leaving)
        concentration = s.trait_concentration
        self.awareness[leaving] = beta_around(s.awareness_mean, count, rng, concentration)
        self.openness[leaving] = beta_around(s.openness_mean, count, rng, concentration)
        self.generalized_trust[leaving] = beta_around(
            s.generalized_trust_mean, count, rng, concentration
        )
        self.trust_in_operator[leaving] = self.generalized_trust[leaving]
        self.platform_tier[leaving] = 0
        self.stopped_until[leaving] = 0
        self.net_benefit_eur[leaving] = 0.0
        if self.relations:
            n = len(self)
            keys = np.fromiter(self.relations, dtype=np.int64, count=len(self.relations))
            stale = _isin_sorted(keys // n, leaving) | _isin_sorted(keys % n, leaving)
            for key in keys[stale].tolist():
                del self.relations[key]
        self.forget_breaches(leaving, s, rng)

    def forget_breaches(
        self, leaving: np.ndarray, settings: ModelParameters, rng: np.random.Generator
    ) -> None:
        """New firms on the sites of ``leaving``: a fresh propensity, record and hearsay."""
        self.opportunism[leaving] = draw_opportunism(
            settings.opportunism_mean, len(leaving), rng, settings.trait_concentration
        )
        self.platform_record[leaving] = 0.0
        if self.heard_breaches:
            n = len(self)
            keys = np.fromiter(self.heard_breaches, dtype=np.int64, count=len(self.heard_breaches))
            stale = _isin_sorted(keys // n, leaving) | _isin_sorted(keys % n, leaving)
            for key in keys[stale].tolist():
                del self.heard_breaches[key]

    # --- learn ---------------------------------------------------------------------------------

    def learn_from_neighbours(
        self,
        tie_from: np.ndarray,
        tie_to: np.ndarray,
        exchanging: np.ndarray,
        rate: float,
    ) -> None:
        """Knowledge of IS spreads from firms that exchange to their social neighbours.

        Each month a firm gains ``rate`` times the share of its neighbours that exchange. The
        gain is kept while the same arrays come again (the arrays must not change in place).
        """
        if len(tie_from) == 0 or rate == 0:
            return
        kept = self._learning
        if (
            kept is None
            or kept[0] is not tie_from
            or kept[1] is not tie_to
            or kept[2] is not exchanging
            or kept[3] != rate
        ):
            n = len(self)
            degree = np.bincount(tie_to, minlength=n)
            exchanging_neighbours = np.bincount(tie_to, weights=exchanging[tie_from], minlength=n)
            share = np.divide(exchanging_neighbours, degree, out=np.zeros(n), where=degree > 0)
            kept = self._learning = (tie_from, tie_to, exchanging, rate, rate * share)
        np.minimum(self.awareness + kept[4], 1.0, out=self.awareness)

    def attend_workshop(
        self, participants: np.ndarray, awareness_gain: float, operator_trust_gain: float
    ) -> None:
        """Participants learn about IS and come to trust the operator who ran the workshop."""
        self.awareness[participants] = np.minimum(
            self.awareness[participants] + awareness_gain, 1.0
        )
        self.trust_in_operator[participants] = np.minimum(
            self.trust_in_operator[participants] + operator_trust_gain, 1.0
        )

    def relation(self, key: int, month: int, decay_per_month: float) -> tuple[float, int]:
        """Trust above the generalized level in a pair, decayed since its last contact."""
        delta, since = self.relations.get(key, (0.0, month))
        return delta * (1.0 - decay_per_month) ** (month - since), since

    def meet(self, keys: np.ndarray, trust_bonus: float, month: int, decay: float) -> None:
        """Pairs meet (at a workshop): their pair trust rises by ``trust_bonus``."""
        for key in np.unique(keys).tolist():
            delta, _ = self.relation(key, month, decay)
            self.relations[key] = (delta + trust_bonus, month)

    def remember(self, keys: np.ndarray, trust_delta: np.ndarray, month: int) -> None:
        """Pairs whose exchange ended keep the trust they reached, from ``month`` on."""
        for key, delta in zip(keys.tolist(), trust_delta.tolist(), strict=True):
            self.relations[key] = (delta, month)

    @staticmethod
    def trust_after_delivery(
        trust_delta: np.ndarray,
        delivered: np.ndarray,
        planned: np.ndarray,
        settings: ModelParameters,
    ) -> np.ndarray:
        """Pair trust after a month of deliveries: reliable delivery builds it, failure costs it.

        docs/model.md, section 7.10.

        Delivering at least ``reliable_delivery_share`` of the plan adds
        ``trust_gain_per_month``; delivering less than ``failed_delivery_share`` loses
        ``trust_loss_on_failure``; in between trust stays.
        """
        s = settings
        reliable = delivered >= s.reliable_delivery_share * planned
        return np.where(
            reliable,
            trust_delta + s.trust_gain_per_month,
            trust_delta - s.trust_loss_on_failure * (delivered < s.failed_delivery_share * planned),
        )

    def unmatched_value_eur(
        self,
        supply: np.ndarray,
        committed_supply: np.ndarray,
        committed_need: np.ndarray,
        unit_gain_eur: np.ndarray,
    ) -> np.ndarray:
        """Monthly value of each firm's streams not yet exchanged, at this month's unit gains.

        What a firm could gain from finding partners: its uncommitted supply (at most its plan)
        and its uncommitted need, each valued at the per-unit gain of exchanging it (>= 0).
        """
        return (
            np.maximum(np.minimum(supply - committed_supply, self.base_supply), 0.0) @ unit_gain_eur
            + np.maximum(self.base_need - committed_need, 0.0) @ unit_gain_eur
        )

    @staticmethod
    def decide_exits(
        trust_supplier: np.ndarray,
        trust_receiver: np.ndarray,
        idle_months: np.ndarray,
        bad_months: np.ndarray,
        under_contract: np.ndarray,
        settings: ModelParameters,
        bound: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which exchanges the firms end, and why (each exchange at most one reason).

        After ``exit_patience_months`` months without delivery (idle) or at a loss
        (unprofitable) an exchange ends; it also ends when either side's trust falls
        ``trust_exit_margin`` below what a deal needs (less under contract). An exchange
        ``bound`` by its contract, where leaving would cost more than it saves (``exit_bound``),
        is kept whatever the reason.

        Returns:
            Boolean masks (idle, unprofitable, distrusted).
        """
        s = settings
        kept = np.zeros(len(idle_months), dtype=bool) if bound is None else bound
        needed = np.where(
            under_contract, s.trust_threshold - s.contract_trust_relief, s.trust_threshold
        )
        patience = s.exit_patience_months
        idle = (idle_months >= patience) & ~kept
        unprofitable = (bad_months >= patience) & ~kept & ~idle
        distrusted = (
            (np.minimum(trust_supplier, trust_receiver) < needed - s.trust_exit_margin)
            & ~kept
            & ~idle
            & ~unprofitable
        )
        return idle, unprofitable, distrusted

    @staticmethod
    def exit_bound(
        under_contract: np.ndarray,
        value_eur_per_month: np.ndarray,
        supplier_share: np.ndarray,
        months_left: np.ndarray,
        breach_cost_eur: np.ndarray,
    ) -> np.ndarray:
        """Exchanges a contract binds: leaving would save less than the breach would cost.

        Leaving saves the side that loses most its share of the losses over the rest of the
        contract; the breach costs the penalty and the dispute (docs/model.md, section 7.10a).
        Without a penalty nothing binds.
        """
        worst_share = np.minimum(
            supplier_share * value_eur_per_month, (1 - supplier_share) * value_eur_per_month
        )
        saved = np.maximum(-worst_share, 0.0) * months_left
        return under_contract & (breach_cost_eur > 0) & (saved <= breach_cost_eur)

    # --- opportunism and reputation (docs/model.md, section 7.10a) ----------------------------

    @staticmethod
    def bargaining_position(alternatives: np.ndarray) -> np.ndarray:
        """Each side's position after the investment, from its and its partner's alternatives.

        ``alternatives`` is 2 x exchanges (supplier first): how many other firms of the park
        could take the partner's place. A side with many alternatives facing a partner with few
        can credibly threaten to leave: position a / (a + a_partner), 0 when neither has any.
        """
        total = alternatives[0] + alternatives[1]
        share = np.divide(alternatives[0], total, out=np.zeros(len(total)), where=total > 0)
        return np.stack([share, np.where(total > 0, 1 - share, 0.0)])

    @staticmethod
    def choose_breaches(
        considering: np.ndarray,
        position: np.ndarray,
        share: np.ndarray,
        value_eur_per_month: np.ndarray,
        sunk_eur: np.ndarray,
        alternatives: np.ndarray,
        annuity: np.ndarray,
        breach_cost_eur: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Which side of each exchange breaks its promise, and how (Klein et al. 1978).

        Every argument but the exchange's monthly value is 2 x exchanges, the supplier's row
        first. A side that is ``considering`` it (its propensity came up this month) compares
        what a breach gains with what it costs (the penalty and dispute under contract, else 0):

        - hold-up: it takes ``position`` times the partner's appropriable quasi-rent per month,
          the partner's share of the value, but no more than the partner's sunk investment per
          month of the horizon when the partner could re-invest with another firm;
        - renege: it leaves to deal with another firm at a split of its ``position``, which
          means sinking its own investment again (only with an alternative).

        At most one side breaches an exchange in a month: the one with the larger net gain.

        Returns:
            (breaching, offender, reneges, grab_eur_per_month): whether an exchange is
            breached, by which side (0 supplier, 1 receiver), whether by reneging (else hold-up),
            and the monthly value a hold-up moves to the offender.
        """
        value = np.maximum(value_eur_per_month, 0.0)
        partner_share = share[::-1]
        partner_alternatives = alternatives[::-1]
        partner_sunk = sunk_eur[::-1]
        quasi_rent = np.where(
            partner_alternatives > 0,
            np.minimum(partner_share * value, partner_sunk / annuity[::-1]),
            partner_share * value,
        )
        grab = position * quasi_rent
        hold_up = grab * annuity - breach_cost_eur
        renege = np.where(
            alternatives > 0,
            (position - share) * value * annuity - sunk_eur - breach_cost_eur,
            -np.inf,
        )
        gain = np.where(considering, np.maximum(hold_up, renege), -np.inf)
        offender = np.argmax(gain, axis=0)
        columns = np.arange(gain.shape[1])
        breaching = gain[offender, columns] > 0
        reneges = renege[offender, columns] > hold_up[offender, columns]
        return breaching, offender, reneges & breaching, grab[offender, columns]

    def reputation_discount(
        self, observer: np.ndarray, offender: np.ndarray, month: int, recovery: float
    ) -> np.ndarray:
        """How much less each observer trusts each offender for the breaches it knows of.

        Hearsay through social ties, decayed since it was heard, plus the platform record for
        observers that are members.
        """
        discount = np.where(self.platform_tier[observer] > 0, self.platform_record[offender], 0.0)
        if self.heard_breaches:
            n = len(self)
            for i, key in enumerate((observer * n + offender).tolist()):
                heard = self.heard_breaches.get(key)
                if heard is not None:
                    discount[i] += heard[0] * (1.0 - recovery) ** (month - heard[1])
        return discount

    def spread_breach(
        self,
        offender: np.ndarray,
        victim: np.ndarray,
        tie_from: np.ndarray,
        tie_to: np.ndarray,
        month: int,
        settings: ModelParameters,
    ) -> None:
        """Third parties learn of breaches: the victim's social neighbours and the platform.

        Each neighbour of a victim trusts the offender ``reputation_loss_on_breach`` less; a
        victim on the platform reports it, which all members see, fully from a tier-2 member
        and at ``tier1_breach_report_weight`` from a tier-1 member.
        """
        loss, recovery = settings.reputation_loss_on_breach, settings.reputation_recovery_per_month
        if loss == 0 or len(offender) == 0:
            return
        n = len(self)
        order = np.argsort(tie_from, kind="stable")
        starts = np.searchsorted(tie_from[order], np.arange(n + 1))
        for bad, hurt in zip(offender.tolist(), victim.tolist(), strict=True):
            for observer in tie_to[order[starts[hurt] : starts[hurt + 1]]].tolist():
                if observer == bad:
                    continue
                key = observer * n + bad
                damage, since = self.heard_breaches.get(key, (0.0, month))
                self.heard_breaches[key] = (
                    damage * (1 - recovery) ** (month - since) + loss,
                    month,
                )
        tier = self.platform_tier[victim]
        weight = np.where(tier >= Tier.COST_DATA, 1.0, settings.tier1_breach_report_weight)
        np.add.at(self.platform_record, offender, np.where(tier > 0, weight * loss, 0.0))

    def recover_reputation(self, recovery: float) -> None:
        """The platform record of past breaches fades by ``recovery`` a month."""
        if recovery:
            self.platform_record *= 1.0 - recovery

    # --- search --------------------------------------------------------------------------------

    def aware(self, knowledge_threshold: float) -> np.ndarray:
        """Firms that know enough about IS to recognise an opportunity."""
        return self.awareness >= knowledge_threshold

    def search(
        self,
        aware: np.ndarray,
        has_room: np.ndarray,
        probability: float,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Firms that look at the candidates they know this month.

        An aware firm with supply to offer or a need to fill searches with ``probability``.
        """
        return aware & (rng.random(len(self)) < probability) & has_room

    @staticmethod
    def recognise(
        supplier: np.ndarray,
        receiver: np.ndarray,
        channel: np.ndarray,
        aware: np.ndarray,
        searching: np.ndarray,
    ) -> np.ndarray:
        """Which known pairs a searching firm takes up.

        Both firms must know enough about IS to recognise the opportunity, except on the
        platform, whose matching recognises it for them; at least one of them must be searching.
        """
        recognised = (aware[supplier] & aware[receiver]) | (channel == Channel.PLATFORM)
        return (searching[supplier] | searching[receiver]) & recognised & (supplier != receiver)

    @staticmethod
    def consider(distance_km: np.ndarray, decay_km: float, rng: np.random.Generator) -> np.ndarray:
        """Which candidates a firm considers: the chance falls by 1/e every ``decay_km``."""
        return rng.random(len(distance_km)) < np.exp(-distance_km / decay_km)

    # --- negotiate -----------------------------------------------------------------------------

    def deal_annuity(self, supplier: np.ndarray, receiver: np.ndarray) -> np.ndarray:
        """Annuity at which a deal is valued: that of the higher of the two hurdle rates."""
        return np.where(
            self.hurdle_rate[supplier] >= self.hurdle_rate[receiver],
            self.valuation_annuity[supplier],
            self.valuation_annuity[receiver],
        )

    @staticmethod
    def accept_offers(
        share_eur: np.ndarray,
        gross_eur: np.ndarray,
        trust_in_partner: np.ndarray,
        trust_needed: np.ndarray | float,
        has_cost_data: np.ndarray,
        doubt: np.ndarray,
        cost_uncertainty_share: float,
    ) -> np.ndarray:
        """Whether one side accepts each offered deal (docs/model.md, section 7.8).

        A side accepts when its trust in the partner clears what the deal needs and its share
        looks positive. Without the partner's cost data (tier 2) a side cannot check the split,
        and discounts its share by its ``doubt`` (uniform in [0, 1]) times
        ``cost_uncertainty_share`` of its half of the gross value, so some feasible deals fail.
        """
        suspicion = np.where(has_cost_data, 0.0, doubt * cost_uncertainty_share * gross_eur / 2)
        return (trust_in_partner >= trust_needed) & (share_eur - suspicion > 0)

    def both_accept(
        self,
        supplier: np.ndarray,
        receiver: np.ndarray,
        npv_eur: np.ndarray,
        gross_eur: np.ndarray,
        pair_trust: np.ndarray,
        trust_needed: np.ndarray | float,
        has_cost_data: np.ndarray,
        doubt: np.ndarray,
        cost_uncertainty_share: float,
        reputation: np.ndarray | None = None,
    ) -> np.ndarray:
        """Deals both sides accept; each side gets half the NPV (``doubt`` is 2 x deals).

        ``reputation`` (2 x deals, supplier first) is how much less each side trusts the other
        for breaches it knows of (``reputation_discount``).
        """
        if reputation is not None:
            trust_s = pair_trust - reputation[0]
            trust_r = pair_trust - reputation[1]
        else:
            trust_s = trust_r = pair_trust
        return self.accept_offers(
            npv_eur / 2,  # each side's half of the deal's value
            gross_eur,
            unit_interval(self.generalized_trust[supplier] + trust_s),
            trust_needed,
            has_cost_data,
            doubt[0],
            cost_uncertainty_share,
        ) & self.accept_offers(
            npv_eur / 2,  # each side's half of the deal's value
            gross_eur,
            unit_interval(self.generalized_trust[receiver] + trust_r),
            trust_needed,
            has_cost_data,
            doubt[1],
            cost_uncertainty_share,
        )

    # --- attention (docs/model.md, section 7.12) -----------------------------------------------

    def projects_in_development(self, supplier: np.ndarray, receiver: np.ndarray) -> np.ndarray:
        """Exchanges each firm has in development, given the firms of those exchanges."""
        n = len(self)
        return np.bincount(supplier, minlength=n) + np.bincount(receiver, minlength=n)

    @staticmethod
    def within_attention(
        supplier: np.ndarray,
        receiver: np.ndarray,
        score: np.ndarray,
        load: np.ndarray,
        cap: int,
    ) -> np.ndarray:
        """Which agreed deals the firms take on, best first, without exceeding ``cap`` projects.

        A firm with ``load`` projects in development takes on new ones in the order of their
        ``score`` (net present value) while it has fewer than ``cap``; a deal needs room at
        both firms.

        Returns:
            Sorted indices of the deals taken on.
        """
        load = load.copy()
        taken = []
        for k in np.argsort(-score, kind="stable").tolist():
            a, b = supplier[k], receiver[k]
            if load[a] < cap and load[b] < cap:
                load[a] += 1
                load[b] += 1
                taken.append(k)
        return np.sort(np.asarray(taken, dtype=np.int64))

    def bargain(
        self,
        supplier: np.ndarray,
        receiver: np.ndarray,
        surplus_eur: np.ndarray,
        pair_trust: np.ndarray,
        trust_needed: np.ndarray | float,
        supplier_error_eur: np.ndarray,
        receiver_error_eur: np.ndarray,
        supplier_power: float,
        reputation: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Negotiate each deal by asymmetric Nash bargaining (docs/model.md, section 7.8).

        Each side demands its Nash share of the surplus it perceives (the true surplus plus its
        error about the partner's outside option) and the pair meets half-way
        (``nash_split``). A side signs when its trust in the partner clears
        what the deal needs, the surplus it perceives is positive and its agreed gain is
        positive; so misjudged outside options make some deals with a positive surplus fail.

        Returns:
            (whether both sign, the supplier's share of the surplus) per deal.
        """
        supplier_gain, seen_s, seen_r = nash_split(
            surplus_eur, supplier_power, supplier_error_eur, receiver_error_eur
        )
        receiver_gain = surplus_eur - supplier_gain
        # ``reputation`` (2 x deals, supplier first): how much less each side trusts the other
        # for breaches it knows of (``reputation_discount``).
        trust_s = pair_trust if reputation is None else pair_trust - reputation[0]
        trust_r = pair_trust if reputation is None else pair_trust - reputation[1]
        trusts = (unit_interval(self.generalized_trust[supplier] + trust_s) >= trust_needed) & (
            unit_interval(self.generalized_trust[receiver] + trust_r) >= trust_needed
        )
        signs = trusts & (seen_s > 0) & (seen_r > 0) & (supplier_gain > 0) & (receiver_gain > 0)
        safe = np.where(surplus_eur > 0, surplus_eur, 1.0)
        return signs, np.where(surplus_eur > 0, supplier_gain / safe, 0.5)

    # --- disclose (platform membership) --------------------------------------------------------

    def compatible_member_share(
        self, deciding: np.ndarray, member: np.ndarray, reach_km: float
    ) -> np.ndarray:
        """Each deciding firm's share of its compatible firms that are on the platform.

        A firm j is compatible with firm i when j supplies a stream i needs or needs a stream i
        supplies (planned quantities, fixed per site). Compatible firms count with the weight
        ``exp(-distance / reach_km)``, the chance that a firm considers a partner that far away
        (docs/model.md, sections 7.4 and 7.6), so a member across the region counts for little.

        Returns:
            The weighted share in [0, 1] for every deciding firm; 0 for the others and for a
            firm with no compatible firm.
        """
        n = len(self)
        share = np.zeros(n)
        rows = np.flatnonzero(deciding)
        if len(rows) == 0 or not member.any():
            return share
        supplies = (self.base_supply > 0).astype(np.float64)
        needs = (self.base_need > 0).astype(np.float64)
        for chunk in np.array_split(rows, max(1, len(rows) // _ROWS_PER_CHUNK)):
            compatible = (supplies[chunk] @ needs.T + needs[chunk] @ supplies.T) > 0
            compatible[np.arange(len(chunk)), chunk] = False  # a firm is not its own partner
            weight = np.exp(
                -np.hypot(
                    self.x_km[chunk, None] - self.x_km[None, :],
                    self.y_km[chunk, None] - self.y_km[None, :],
                )
                / reach_km
            )
            weight *= compatible
            total = weight.sum(1)
            on = weight @ member.astype(np.float64)
            share[chunk] = np.divide(on, total, out=np.zeros(len(chunk)), where=total > 0)
        return share

    def choose_platform_tier(
        self,
        deciding: np.ndarray,
        *,
        tier_offered: int,
        member_share: np.ndarray | float,
        critical_mass_share: float,
        standalone_share: float,
        expected_gain_eur: np.ndarray,
        fee_eur: np.ndarray | float,
        incentive_eur: float,
        confidentiality_risk_eur: float,
        tier1_risk_share: float,
        cost_data_gain_factor: float,
        mandatory: bool,
        enrolled: np.ndarray | None = None,
    ) -> None:
        """Firms reconsidering this month choose their disclosure tier (Fraccascia & Yazan 2018).

        Expected benefit grows with the share of each firm's compatible firms that are members
        (``member_share``, from ``compatible_member_share``): a network effect with a critical
        mass (Katz & Shapiro 1994; Fraccascia 2020), so that joining pays only once enough
        partners have joined, and leaving once enough have left. ``fee_eur`` is what each firm
        would pay after the operator's fee subsidy. Tier 2 adds cost data, worth
        ``cost_data_gain_factor`` times tier 1's gain, at the full confidentiality risk, of which
        tier 1 carries ``tier1_risk_share``.
        The risk falls with the firm's openness and its trust in the operator, who guarantees
        confidentiality. Under mandatory reporting every firm discloses at least tier 1;
        the firms the operator has ``enrolled`` (seeded) are members whether reviewing or not.
        """
        if tier_offered == 0:
            self.platform_tier[:] = 0
            return
        network_effect = standalone_share + (1 - standalone_share) * member_share**2 / (
            member_share**2 + critical_mass_share**2
        )
        guard = (1.0 - self.openness) * (1.0 - self.trust_in_operator)
        utility_1 = (
            network_effect * expected_gain_eur
            + incentive_eur
            - fee_eur
            - tier1_risk_share * confidentiality_risk_eur * guard
        )
        utility_2 = (
            cost_data_gain_factor * network_effect * expected_gain_eur
            + incentive_eur
            - fee_eur
            - confidentiality_risk_eur * guard
        )
        choice = np.where(utility_1 > 0, Tier.STREAMS, Tier.NONE)
        if tier_offered >= Tier.COST_DATA:
            better = (utility_2 > utility_1) & (utility_2 > 0)
            choice = np.where(better, Tier.COST_DATA, choice)
        if mandatory:
            choice = np.maximum(choice, Tier.STREAMS)
        self.platform_tier[deciding] = choice[deciding]
        if enrolled is not None:
            self.platform_tier[enrolled] = np.maximum(self.platform_tier[enrolled], Tier.STREAMS)


# Firms whose compatible members are counted at once (bounds the firms x firms work arrays).
_ROWS_PER_CHUNK = 512


def nash_split(
    surplus_eur: np.ndarray,
    supplier_power: float,
    supplier_error_eur: np.ndarray,
    receiver_error_eur: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each side's gain from a deal bargained under the asymmetric Nash solution.

    With transferable money and each side's outside option as its disagreement point, the
    generalized Nash solution (Nash 1950, with bargaining power ``supplier_power``) gives the
    supplier the share ``supplier_power`` of the joint surplus. A side that cannot see the
    partner's costs misjudges the partner's outside option and with it the surplus by its
    ``error``; each demands its Nash share of the surplus it perceives, and the pair settles at
    the midpoint of the two demands (the price each side asks for meets half-way).

    Args:
        surplus_eur: The deal's true joint surplus (NPV after every cost).
        supplier_power: The supplier's bargaining power in [0, 1].
        supplier_error_eur: How much the supplier overestimates the surplus.
        receiver_error_eur: How much the receiver overestimates the surplus.

    Returns:
        (supplier's gain, surplus the supplier perceives, surplus the receiver perceives), EUR.
    """
    seen_by_supplier = surplus_eur + supplier_error_eur
    seen_by_receiver = surplus_eur + receiver_error_eur
    supplier_demand = supplier_power * seen_by_supplier
    receiver_demand = (1.0 - supplier_power) * seen_by_receiver
    supplier_gain = (supplier_demand + surplus_eur - receiver_demand) / 2
    return supplier_gain, seen_by_supplier, seen_by_receiver


def unit_interval(values: np.ndarray) -> np.ndarray:
    """Values clipped to [0, 1] (as ``np.clip``, without its call overhead)."""
    return np.minimum(np.maximum(values, 0.0), 1.0)


# Beta shape parameters must be positive: means are kept this far inside (0, 1).
_MEAN_MARGIN = 1e-3


def beta_around(
    mean: float, count: int, rng: np.random.Generator, concentration: float
) -> np.ndarray:
    """Draw ``count`` values in [0, 1] with the given mean (Beta, a + b = ``concentration``)."""
    mean = min(max(float(mean), _MEAN_MARGIN), 1 - _MEAN_MARGIN)
    return rng.beta(mean * concentration, (1 - mean) * concentration, count)


def draw_opportunism(
    mean: float, count: int, rng: np.random.Generator, concentration: float
) -> np.ndarray:
    """Each new firm's propensity to opportunism around ``mean``; none at all when it is 0."""
    if mean == 0:
        return np.zeros(count)
    return beta_around(mean, count, rng, concentration)


def _isin_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each value is in ``sorted_set`` (sorted ascending)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values
